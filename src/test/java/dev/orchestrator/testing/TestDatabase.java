package dev.orchestrator.testing;

import dev.orchestrator.store.SchemaMigrator;
import dev.orchestrator.launcher.EmbeddedDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/**
 * The PostgreSQL the tests run on: ORCH_TEST_DB_URL (with ORCH_TEST_DB_USER / _PASSWORD) when set,
 * otherwise one embedded PostgreSQL per test JVM. Migrated with the application's own Flyway
 * migrations. Never a stand-in database.
 */
public final class TestDatabase {
    private static TestDatabase instance;

    private final EmbeddedDatabase embedded;
    private final HikariDataSource dataSource;
    private final String url;
    private final String user;
    private final String password;

    private boolean migrated;

    private TestDatabase(EmbeddedDatabase embedded, String url, String user, String password) {
        this.embedded = embedded;
        this.url = url;
        this.user = user;
        this.password = password;
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(url);
        cfg.setUsername(user);
        cfg.setPassword(password);
        cfg.setMaximumPoolSize(12);
        cfg.setPoolName("orch-test");
        this.dataSource = new HikariDataSource(cfg);
    }

    /** The shared database, started (embedded, any free port) and migrated on first use. */
    public static synchronized TestDatabase get() {
        if (instance == null) {
            instance = start(0);
        }
        if (!instance.migrated) {
            SchemaMigrator.migrate(instance.dataSource, TestDatabase.class.getClassLoader());
            instance.migrated = true;
        }
        return instance;
    }

    /**
     * Starts the shared database on {@code port} (the integration tests' reserved port) without
     * migrating it: the deployed server's own start-up migration must do that.
     */
    public static synchronized TestDatabase startOnPort(int port) {
        if (instance == null) {
            instance = start(port);
        }
        return instance;
    }

    private static TestDatabase start(int port) {
        String external = System.getenv("ORCH_TEST_DB_URL");
        if (external != null && !external.isBlank()) {
            return new TestDatabase(null, external, System.getenv("ORCH_TEST_DB_USER"),
                    System.getenv("ORCH_TEST_DB_PASSWORD"));
        }
        try {
            Path dir = Files.createTempDirectory("orch-test-pg");
            // Throwaway: fsync and synchronous commit off, for speed (the launcher's database has both on).
            EmbeddedDatabase db = EmbeddedDatabase.start(dir, port, false, EmbeddedDatabase.Durability.THROWAWAY);
            return new TestDatabase(db, db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded test PostgreSQL", e);
        }
    }

    static synchronized void stopShared() {
        if (instance != null) {
            instance.dataSource.close();
        }
        if (instance != null && instance.embedded != null) {
            try {
                instance.embedded.close();
            } catch (IOException e) {
                // the JVM is ending; PostgreSQL's own shutdown hook is not needed
            }
        }
        instance = null;
    }

    public String jdbcUrl() {
        return url;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Empties every table: each test starts from nothing. */
    public void reset() {
        execute("TRUNCATE job_dependencies, claim_pauses, claim_lanes, agent_runs, jobs, nodes, audit_events, job_events RESTART IDENTITY CASCADE");
        execute("UPDATE job_events_pruned SET tx = '0', seq = 0");
    }

    /** The first column of the first row of a query, as a whole number. */
    public long count(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    public void execute(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
