package dev.orchestrator.jmx;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.access.Role;
import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.security.AccessController;
import java.security.Principal;
import java.util.Optional;
import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;

/**
 * Who a JMX operation acts as. The JDK's connector authenticates the user (password file) and
 * runs each call as that user's {@link Subject}, whose {@link JMXPrincipal} names it: the caller
 * is {@code jmx:<user>}. Without an authenticated user (a local attach from JConsole on the same
 * machine, or a connector started without authentication) it is {@code jmx:local}. What a JMX
 * user may do is decided by the JMX access file (readonly: attributes only; readwrite: operations
 * too); whoever may invoke an operation acts with the operate role on every repo.
 */
public final class JmxCallers {
    public static final String PREFIX = "jmx:";
    public static final String LOCAL = PREFIX + "local";

    private JmxCallers() {
    }

    /** The caller of the JMX call on this thread. */
    public static Caller current() {
        return caller(currentUser(), clientHost());
    }

    static Caller caller(Optional<String> user, String address) {
        return new Caller(user.map(u -> PREFIX + u).orElse(LOCAL), Role.OPERATE.withIncluded(), RepoScope.all(),
                address);
    }

    /** The authenticated JMX user on this thread, if any. */
    @SuppressWarnings("removal") // Subject.current() arrives with JDK 18; this is the JDK 17 way
    static Optional<String> currentUser() {
        Subject subject = Subject.getSubject(AccessController.getContext());
        return user(subject);
    }

    static Optional<String> user(Subject subject) {
        if (subject == null) {
            return Optional.empty();
        }
        return subject.getPrincipals(JMXPrincipal.class).stream().map(Principal::getName).findFirst()
                .or(() -> subject.getPrincipals().stream().map(Principal::getName).findFirst());
    }

    /** The remote client's address for the audit trail; null for a local call. */
    private static String clientHost() {
        try {
            return RemoteServer.getClientHost();
        } catch (ServerNotActiveException e) {
            return null;
        }
    }
}
