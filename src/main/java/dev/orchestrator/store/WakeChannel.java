package dev.orchestrator.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL's LISTEN/NOTIFY on the channel {@value #CHANNEL}: nodes tell each other that work may
 * have become claimable. A notification is only a hint to look at the table, which stays the
 * source of truth; it carries a short payload (reasons and the sending node's id), never data.
 *
 * <p>Announcements go out on the queue's pool after the change committed, as a statement of their
 * own with {@code synchronous_commit} off (docs/adr/0010-wake-ups-across-nodes.md): a NOTIFY inside
 * the writing transaction would hold PostgreSQL's database-wide notify lock through that
 * transaction's commit and WAL flush, serialising every enqueue and finish of the cluster.
 * Listening needs a connection of its own ({@link #listen()}): a LISTEN on a pooled connection
 * would follow it to the next borrower.
 */
public final class WakeChannel {
    public static final String CHANNEL = "orchestrator_wake";

    /** synchronous_commit off for this transaction only: a hint is not worth a WAL flush. */
    static final Sql ANNOUNCE = Sql.of("""
            SELECT set_config('synchronous_commit', 'off', true), pg_notify(:channel, :payload)
            """);

    /** Opens a new, unpooled connection for a listener; each call a fresh one. */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    private final DataSource pool;
    private final Connector connector;

    /**
     * @param pool      where announcements are sent (the queue's pool: a NOTIFY leaves nothing behind)
     * @param connector dedicated connections for {@link #listen()}
     */
    public WakeChannel(DataSource pool, Connector connector) {
        this.pool = pool;
        this.connector = connector;
    }

    /**
     * Sends one notification with {@code payload}, committed on return: one statement in autocommit,
     * one round trip (the statement is its own transaction, so the local setting covers its commit).
     */
    public void announce(String payload) {
        try (Connection c = pool.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            ANNOUNCE.list(c, Sql.Params.of("channel", CHANNEL, "payload", payload), rs -> null);
        } catch (SQLException e) {
            throw new QueueStoreException(e);
        }
    }

    /** A new dedicated connection, listening on the channel. */
    public Subscription listen() throws SQLException {
        Connection c = connector.connect();
        if (c == null) {
            throw new SQLException("the wake-up listener's connector gave no connection");
        }
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN " + CHANNEL);
            }
            return new Subscription(c, c.unwrap(PGConnection.class));
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    /**
     * One listening connection. Used by one thread only, except {@link #abort()}, which another
     * thread calls to end a wait at once (the node's stop).
     */
    public static final class Subscription implements AutoCloseable {
        private final Connection connection;
        private final PGConnection pg;

        private Subscription(Connection connection, PGConnection pg) {
            this.connection = connection;
            this.pg = pg;
        }

        /**
         * Waits up to {@code timeout} for notifications; their payloads, empty if none came. Throws
         * when the connection is broken (its backend terminated, the server gone).
         */
        public List<String> await(Duration timeout) throws SQLException {
            PGNotification[] got = pg.getNotifications((int) Math.max(1, Math.min(timeout.toMillis(), Integer.MAX_VALUE)));
            if (got == null || got.length == 0) {
                return List.of();
            }
            List<String> payloads = new ArrayList<>(got.length);
            for (PGNotification n : got) {
                payloads.add(n.getParameter());
            }
            return payloads;
        }

        /** A round trip: throws if the connection no longer answers (a half-open socket shows up here). */
        public void ping(Duration timeout) throws SQLException {
            if (!connection.isValid((int) Math.max(1, timeout.toSeconds()))) {
                throw new SQLException("the wake-up listener's connection did not answer within "
                        + timeout.toSeconds() + " s", "08006");
            }
        }

        /** The server process of this connection (operators and tests: {@code pg_terminate_backend}). */
        public int backendPid() {
            return pg.getBackendPID();
        }

        /** Drops the connection at once, also while another thread waits in {@link #await}. */
        public void abort() {
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                // already gone: nothing to end
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (SQLException e) {
                // a broken connection: nothing left to release
            }
        }
    }
}
