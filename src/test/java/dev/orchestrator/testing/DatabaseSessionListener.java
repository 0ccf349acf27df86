package dev.orchestrator.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Starts the integration tests' embedded PostgreSQL on the port Maven reserved
 * ({@code orch.it.pg.port}) before any test class (so before Arquillian boots Payara Micro, which
 * reads ORCH_DB_URL pointing at that port), and stops it when the test JVM's session ends.
 * In unit-test JVMs (no such property) it does nothing; {@link TestDatabase#get()} starts lazily.
 */
public class DatabaseSessionListener implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        String port = System.getProperty("orch.it.pg.port");
        if (port != null && Boolean.parseBoolean(System.getProperty("orch.it.embedded", "true"))) {
            TestDatabase.startOnPort(Integer.parseInt(port));
        }
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        TestDatabase.stopShared();
    }
}
