package dev.orchestrator.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.config.DatabaseSettings;
import dev.orchestrator.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The queue's pool: the session settings its connections start with. */
class QueuePoolTest {
    private final TestDatabase db = TestDatabase.get();

    @Test
    void queue_connections_run_without_jit_whatever_the_servers_default() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT boot_val FROM pg_settings WHERE name = 'jit'")) {
            rs.next();
            assertThat(rs.getString(1)).as("PostgreSQL's own default, which the pool must override").isEqualTo("on");
        }
        DatabaseSettings settings = new DatabaseSettings(db.jdbcUrl(), db.user(), db.password());
        try (HikariDataSource pool = QueuePool.open(settings)) {
            for (int i = 0; i < 3; i++) { // every connection, not only the first
                try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SHOW jit")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("off");
                }
            }
        }
    }
}
