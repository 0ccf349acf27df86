package dev.orchestrator.boot;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * JDBC drivers that the WAR's class loader registered with {@code DriverManager} (the PostgreSQL
 * driver in {@code WEB-INF/lib} registers itself when first loaded). Left registered at undeploy,
 * they pin the old class loader, and Payara unregisters them itself with a warning on each undeploy.
 */
final class JdbcDrivers {
    private JdbcDrivers() {
    }

    /** Deregisters every driver loaded by {@code loader}; returns their class names. */
    static List<String> deregisterLoadedBy(ClassLoader loader) {
        List<String> done = new ArrayList<>();
        for (Driver d : Collections.list(DriverManager.getDrivers())) {
            if (d.getClass().getClassLoader() == loader) {
                try {
                    DriverManager.deregisterDriver(d);
                    done.add(d.getClass().getName());
                } catch (SQLException | SecurityException e) {
                    throw new IllegalStateException("cannot deregister JDBC driver " + d.getClass().getName(), e);
                }
            }
        }
        return done;
    }
}
