package dev.orchestrator.boot;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The container's JTA pool for JPA (enqueue, reads) on the database named by ORCH_DB_URL /
 * ORCH_DB_USER / ORCH_DB_PASSWORD, resolved through MicroProfile Config (the environment, JVM
 * options and system properties, {@code asadmin set-config-property}, password aliases); Bootstrap
 * refuses a start where that differs from what the queue's pool uses. The queue's guarded statements use their own pool
 * ({@link QueuePool}), which runs short local transactions and stays open until the node has
 * handed its running jobs back at undeploy; an application-scoped container pool is already gone
 * by then. {@link Bootstrap} validates the three settings before either pool is used, so a
 * missing one is reported by name instead of as an invalid URL.
 */
@DataSourceDefinition(
        name = DataSources.JPA,
        className = "org.postgresql.ds.PGSimpleDataSource",
        url = "${MPCONFIG=ORCH_DB_URL}",
        user = "${MPCONFIG=ORCH_DB_USER}",
        password = "${MPCONFIG=ORCH_DB_PASSWORD}",
        minPoolSize = 1,
        maxPoolSize = 16,
        properties = {
            // Payara's pool: check each connection before handing it out (SELECT 1) and, when one
            // fails, drop every pooled connection, so reads answer again as soon as PostgreSQL is
            // back after a restart instead of failing on dead connections
            "fish.payara.is-connection-validation-required=true",
            "fish.payara.connection-validation-method=custom-validation",
            "fish.payara.validation-classname=org.glassfish.api.jdbc.validation.PostgresConnectionValidation",
            "fish.payara.fail-all-connections=true",
            // a request waits at most this long for a connection when all are in use (then 503)
            "fish.payara.max-wait-time-in-millis=10000",
            // the driver: give up connecting after 5 s, and on a statement after 30 s without an
            // answer (a half-open connection), instead of hanging the request
            "connectTimeout=5",
            "socketTimeout=30",
            // how these connections show in pg_stat_activity
            "ApplicationName=orchestrator-jpa"
        })
@ApplicationScoped
public class DataSources {
    public static final String JPA = "java:app/jdbc/orchestrator";
}
