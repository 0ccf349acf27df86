package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.testing.TestDatabase;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The queue's short transactions on a pool, when the connection breaks under them. */
class TransactionsTest {
    private final TestDatabase db = TestDatabase.get();

    private HikariDataSource pool() {
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(db.jdbcUrl());
        cfg.setUsername(db.user());
        cfg.setPassword(db.password());
        cfg.setMaximumPoolSize(2);
        return new HikariDataSource(cfg);
    }

    @Test
    void a_connection_broken_by_the_server_surfaces_the_servers_error_not_the_pools_closed_connection() {
        try (HikariDataSource ds = pool()) {
            Transactions tx = new Transactions(ds);
            // as in a PostgreSQL restart: the server ends this session (SQLState 57P01), so HikariCP
            // evicts and closes the connection, and every later call on it says "Connection is closed"
            assertThatThrownBy(() -> tx.inTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT pg_terminate_backend(pg_backend_pid())");
                }
                return null;
            })).isInstanceOf(QueueStoreException.class)
                    .cause().isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState())
                            .as("the server's reason, which tells an outage from a bug").isEqualTo("57P01"));

            // the pool replaced the broken connection: the next unit of work succeeds
            Boolean answered = tx.inTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    return s.executeQuery("SELECT 1").next();
                }
            });
            assertThat(answered).isTrue();
        }
    }
}
