package dev.orchestrator.infrastructure.container;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.annotation.sql.DataSourceDefinitions;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The two pools on the database named by ORCH_DB_URL / ORCH_DB_USER / ORCH_DB_PASSWORD:
 * <ul>
 * <li>{@code java:app/jdbc/orchestrator}: JTA, for JPA (enqueue, reads);</li>
 * <li>{@code java:app/jdbc/orchestrator-queue}: not enlisted in JTA, for the queue's guarded
 *     statements, which run their own short local transactions.</li>
 * </ul>
 * {@link Bootstrap} validates the three settings before either pool is used, so a missing one is
 * reported by name instead of as an invalid URL.
 */
@DataSourceDefinitions({
    @DataSourceDefinition(
            name = "java:app/jdbc/orchestrator",
            className = "org.postgresql.ds.PGSimpleDataSource",
            url = "${ENV=ORCH_DB_URL}",
            user = "${ENV=ORCH_DB_USER}",
            password = "${ENV=ORCH_DB_PASSWORD}",
            minPoolSize = 1,
            maxPoolSize = 16),
    @DataSourceDefinition(
            name = "java:app/jdbc/orchestrator-queue",
            className = "org.postgresql.ds.PGSimpleDataSource",
            url = "${ENV=ORCH_DB_URL}",
            user = "${ENV=ORCH_DB_USER}",
            password = "${ENV=ORCH_DB_PASSWORD}",
            transactional = false,
            minPoolSize = 2,
            maxPoolSize = 24)
})
@ApplicationScoped
public class DataSources {
    public static final String JPA = "java:app/jdbc/orchestrator";
    public static final String QUEUE = "java:app/jdbc/orchestrator-queue";
}
