package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Start-up against an already migrated schema reports the version it found, not null; an upgrade of
 * a database with history starts the job counters (V5) exact.
 */
class SchemaMigratorTest {
    @Test
    void migrating_a_migrated_schema_applies_nothing_and_names_the_current_version() throws IOException {
        TestDatabase db = TestDatabase.get(); // migrated once already

        SchemaMigrator.Migration again = SchemaMigrator.migrate(db.dataSource(), getClass().getClassLoader());

        assertThat(again.applied()).isZero();
        assertThat(again.state().currentVersion()).isEqualTo(latestShippedVersion());
        assertThat(again.state().pending()).isZero();
        assertThat(SchemaMigrator.state(db.dataSource(), getClass().getClassLoader())).isEqualTo(again.state());
    }

    @Test
    void upgrading_a_database_with_history_starts_the_job_counters_exact() throws SQLException {
        TestDatabase db = TestDatabase.get();
        String name = "orch_upgrade_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        db.execute("CREATE DATABASE " + name);
        try {
            PGSimpleDataSource old = new PGSimpleDataSource();
            old.setUrl(db.jdbcUrl().replaceFirst("/[^/?]+(\\?|$)", "/" + name + "$1"));
            old.setUser(db.user());
            old.setPassword(db.password());
            Flyway.configure(getClass().getClassLoader()).dataSource(old).locations("classpath:db/migration")
                    .target("4").load().migrate();
            try (Connection c = old.getConnection(); Statement s = c.createStatement()) {
                s.execute("""
                        INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at, finished_at,
                                          started_at, claimed_by)
                        SELECT 'echo', 'r' || (g % 7), (ARRAY['done', 'failed', 'cancelled'])[1 + g % 3],
                               now(), now(), now(), now(), now(), 'n1'
                          FROM generate_series(1, 1000) g""");
                s.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                        + "SELECT 'echo', 'q', now(), now(), now() FROM generate_series(1, 17)");
                s.execute("INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at, started_at, "
                        + "claimed_by) SELECT 'echo', 'w', 'running', now(), now(), now(), now(), 'n1' "
                        + "FROM generate_series(1, 2)");
            }

            assertThat(SchemaMigrator.migrate(old, getClass().getClassLoader()).applied()).isPositive();

            Map<JobStatus, Long> counted = new EnumMap<>(JobStatus.class);
            for (JobStatus st : JobStatus.values()) {
                counted.put(st, one(old, "SELECT count(*) FROM jobs WHERE status = '" + st.db() + "'"));
            }
            assertThat(counted).containsEntry(JobStatus.QUEUED, 17L).containsEntry(JobStatus.RUNNING, 2L)
                    .containsEntry(JobStatus.DONE, 333L).containsEntry(JobStatus.FAILED, 334L)
                    .containsEntry(JobStatus.CANCELLED, 333L);
            assertThat(new ControlStore(old).statusCounts()).isEqualTo(counted);
        } finally {
            db.execute("DROP DATABASE " + name + " WITH (FORCE)");
        }
    }

    private static long one(javax.sql.DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String latestShippedVersion() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max(Integer::compare)
                    .map(String::valueOf).orElseThrow();
        }
    }
}
