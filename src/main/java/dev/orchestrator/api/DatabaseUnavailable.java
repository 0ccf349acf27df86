package dev.orchestrator.api;

import jakarta.resource.ResourceException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A request that failed because PostgreSQL could not be reached: it answers 503 with
 * {@code Retry-After}, a problem document that names neither the exception nor the database; the
 * failure is logged here with an id the client can quote.
 *
 * <p>"Could not be reached" is read from the failure's causes, whatever wraps them (JPA's
 * {@code PersistenceException}, EclipseLink's {@code DatabaseException}, a transaction's rollback,
 * the queue's {@code QueueStoreException}):
 * <ul>
 * <li>an {@link SQLException} of SQLState class 08 (connection exception: refused, closed, broken
 *     while in use), 57P01-57P03 (the server is shutting down, crashed, or is not accepting
 *     connections yet) or 53300 (no connection slot left), or one of JDBC's connection exception
 *     types (HikariCP's "connection is not available" among them);</li>
 * <li>a refused, unroutable or timed-out socket;</li>
 * <li>the container's pool failing to hand out a connection ({@link ResourceException}: it could
 *     not open one, or all are in use past the wait time).</li>
 * </ul>
 * Any other database error (a constraint, a bad statement) is not an outage and stays a 500.
 */
final class DatabaseUnavailable {
    private static final Logger LOG = Logger.getLogger(DatabaseUnavailable.class.getName());

    /** What {@code Retry-After} says: a restarted database is usually back, and pools refilled, by then. */
    static final int RETRY_AFTER_SECONDS = 5;

    private static final Set<String> UNAVAILABLE_STATES = Set.of("57P01", "57P02", "57P03", "53300");
    private static final int MAX_DEPTH = 32;

    private DatabaseUnavailable() {
    }

    /** True if {@code failure} or one of its causes says the database could not be reached. */
    static boolean causedBy(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable t = failure;
        for (int depth = 0; t != null && depth < MAX_DEPTH && seen.put(t, Boolean.TRUE) == null; depth++) {
            if (unavailable(t)) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getNextException() != null
                    && sql.getNextException() != sql.getCause() && unavailable(sql.getNextException())) {
                return true;
            }
            t = t.getCause();
        }
        return false;
    }

    private static boolean unavailable(Throwable t) {
        if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                || t instanceof ConnectException || t instanceof NoRouteToHostException
                || t instanceof SocketTimeoutException || t instanceof ResourceException) {
            return true;
        }
        if (t instanceof SQLException sql && sql.getSQLState() != null) {
            String state = sql.getSQLState();
            return state.startsWith("08") || UNAVAILABLE_STATES.contains(state);
        }
        return false;
    }

    /** The problem document of an outage; {@code id} is the one logged with the failure. */
    static Problem problem(String id) {
        return Problem.of(503, "Service Unavailable", "the database is unavailable; retry in "
                + RETRY_AFTER_SECONDS + " s (quote " + id + " when reporting it)", null);
    }

    /**
     * Logs {@code failure} (one line: the chain of causes; the stack trace at FINE, since an outage
     * fails every request) and answers 503.
     */
    static Response response(Throwable failure) {
        String id = UUID.randomUUID().toString();
        LOG.log(Level.WARNING, "database unavailable {0}: {1}", new Object[] {id, causes(failure)});
        LOG.log(Level.FINE, "database unavailable " + id, failure);
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", RETRY_AFTER_SECONDS)
                .entity(problem(id)).build();
    }

    /**
     * "Type: message <- Type: message ..." from the outermost failure to its root cause; a message
     * its wrapper already quoted is left out (the pools' wrappers repeat their causes' messages).
     */
    static String causes(Throwable failure) {
        StringBuilder b = new StringBuilder();
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        String outer = "";
        Throwable t = failure;
        for (int depth = 0; t != null && depth < MAX_DEPTH && seen.put(t, Boolean.TRUE) == null; depth++) {
            if (b.length() > 0) {
                b.append(" <- ");
            }
            String message = t.getMessage() == null ? "" : t.getMessage().strip().replaceAll("\\s+", " ");
            b.append(t.getClass().getName());
            if (!message.isEmpty() && !outer.contains(message)) {
                b.append(": ").append(message.length() > 300 ? message.substring(0, 300) + "..." : message);
            }
            outer = message;
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                b.append(" (SQLState ").append(sql.getSQLState()).append(')');
            }
            t = t.getCause();
        }
        return b.toString();
    }
}
