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
        maxPoolSize = 16)
@ApplicationScoped
public class DataSources {
    public static final String JPA = "java:app/jdbc/orchestrator";
}
