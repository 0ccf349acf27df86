package dev.orchestrator.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.config.DatabaseSettings;
import dev.orchestrator.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The WAR's JDBC driver and DriverManager: the queue pool must connect although DriverManager
 * does not know the driver (Payara Server after a domain restart), and undeploy deregisters what
 * the WAR's class loader registered.
 */
class JdbcDriversTest {
    private final TestDatabase db = TestDatabase.get();

    /**
     * Puts the driver back for the tests that run after these in the same JVM (the embedded
     * PostgreSQL's start-up check connects through DriverManager). {@code Driver.isRegistered()}
     * still says true after {@code DriverManager.deregisterDriver}, so look at DriverManager itself.
     */
    @AfterEach
    void registerAgain() throws SQLException {
        if (!postgresRegistered()) {
            if (org.postgresql.Driver.isRegistered()) {
                org.postgresql.Driver.deregister(); // resets the driver's own flag
            }
            org.postgresql.Driver.register();
        }
        assertThat(postgresRegistered()).isTrue();
    }

    private static boolean postgresRegistered() {
        return Collections.list(DriverManager.getDrivers()).stream()
                .anyMatch(d -> d.getClass() == org.postgresql.Driver.class);
    }

    @Test
    void undeploy_deregisters_the_drivers_of_the_applications_class_loader_only() {
        assertThat(postgresRegistered()).isTrue();
        assertThat(JdbcDrivers.deregisterLoadedBy(new ClassLoader() { })).isEmpty();
        assertThat(postgresRegistered()).isTrue();

        assertThat(JdbcDrivers.deregisterLoadedBy(org.postgresql.Driver.class.getClassLoader()))
                .contains("org.postgresql.Driver");
        assertThat(postgresRegistered()).isFalse();
    }

    @Test
    void the_queue_pool_connects_when_driver_manager_does_not_know_the_driver() throws Exception {
        DatabaseSettings settings = new DatabaseSettings(db.jdbcUrl(), db.user(), db.password());
        JdbcDrivers.deregisterLoadedBy(org.postgresql.Driver.class.getClassLoader());
        assertThatThrownBy(() -> DriverManager.getDriver(settings.url())).hasMessageContaining("No suitable driver");

        try (HikariDataSource pool = QueuePool.open(settings); Connection c = pool.getConnection()) {
            assertThat(c.isValid(5)).isTrue();
        }
    }
}
