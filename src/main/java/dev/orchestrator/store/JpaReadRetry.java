package dev.orchestrator.store;

import org.eclipse.persistence.sessions.DatabaseLogin;
import org.eclipse.persistence.sessions.Session;
import org.eclipse.persistence.sessions.SessionCustomizer;

/**
 * How EclipseLink retries a read outside a transaction that failed on a broken connection (named
 * by {@code eclipselink.session.customizer} in persistence.xml). Its defaults, 3 attempts 5 s
 * apart, held every API read for 10 s during a database outage before it could answer 503. Once,
 * after 1 s, still carries a read over a connection that died at the moment PostgreSQL restarted
 * (the container pool validates connections, so the retry gets a fresh one).
 */
public class JpaReadRetry implements SessionCustomizer {
    static final int ATTEMPTS = 1;
    static final int DELAY_MILLIS = 1000;

    @Override
    public void customize(Session session) {
        if (session.getDatasourceLogin() instanceof DatabaseLogin login) {
            login.setQueryRetryAttemptCount(ATTEMPTS);
            login.setDelayBetweenConnectionAttempts(DELAY_MILLIS);
        }
    }
}
