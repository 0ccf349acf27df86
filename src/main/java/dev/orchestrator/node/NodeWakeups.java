package dev.orchestrator.node;

import dev.orchestrator.store.WakeChannel;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Wake-ups across nodes sharing the database (ORCH_NOTIFY_ENABLED): this node announces what made
 * work claimable ({@link WakeAnnouncer}) and listens for the others' announcements
 * ({@link WakeListener}). {@link #OFF} does neither: other nodes then find work at their poll.
 */
public final class NodeWakeups {
    private static final Logger LOG = Logger.getLogger(NodeWakeups.class.getName());
    /** How long the listener waits in silence before it checks its connection with a round trip. */
    static final Duration IDLE_CHECK = Duration.ofSeconds(10);

    /** Cross-node wake-ups switched off. */
    public static final NodeWakeups OFF = new NodeWakeups();

    /**
     * What an operator sees of the wake-ups.
     *
     * @param enabled       ORCH_NOTIFY_ENABLED
     * @param connected     the listener holds a listening connection now
     * @param listening     the listener's thread runs
     * @param reconnects    connections re-established after a loss since the node started
     * @param notifications notifications received, its own included
     * @param own           of those, sent by this node itself (skipped: it woke in-JVM already)
     * @param sent          notifications this node sent
     * @param sendFailures  notifications this node could not send
     * @param backendPid    the listening connection's server process (null: not connected)
     * @param lastError     why the listener last lost or failed to open its connection (null: connected)
     */
    public record Status(boolean enabled, boolean connected, boolean listening, long reconnects, long notifications,
                         long own, long sent, long sendFailures, Integer backendPid, String lastError) {
        static final Status DISABLED = new Status(false, false, false, 0, 0, 0, 0, 0, null, null);
    }

    private final WakeAnnouncer announcer;
    private final WakeListener listener;

    private NodeWakeups() {
        this.announcer = null;
        this.listener = null;
    }

    /**
     * @param wakeDispatcher wakes this node's dispatcher in-JVM
     * @param executor       where announcements are sent from (the node's executor)
     */
    public NodeWakeups(WakeChannel channel, String nodeId, Runnable wakeDispatcher, Executor executor) {
        this(channel, nodeId, wakeDispatcher, executor, IDLE_CHECK);
    }

    NodeWakeups(WakeChannel channel, String nodeId, Runnable wakeDispatcher, Executor executor, Duration idleCheck) {
        this.announcer = new WakeAnnouncer(channel, nodeId, executor);
        this.listener = new WakeListener(channel, nodeId, wakeDispatcher, idleCheck);
    }

    /** Tells the other nodes, soon and coalesced with others; this node's own dispatcher is woken by the caller. */
    void announce(WakeReason reason) {
        if (announcer != null) {
            announcer.announce(reason);
        }
    }


    void start(ThreadFactory threads) {
        if (listener != null) {
            listener.start(threads);
        }
    }

    /**
     * The node's stop: announces {@code last} (null: nothing) on this thread, since the node's
     * executor may be going away, then stops the listener. Never throws: a failure here must not
     * keep the node from recording its stop.
     */
    void stop(WakeReason last, Duration timeout) {
        if (listener == null) {
            return;
        }
        try {
            if (last != null) {
                announcer.announceNow(last); // the other nodes take the handed-back jobs now, not at their poll
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "could not tell the other nodes about the jobs handed back; they find them at "
                    + "their next poll", e);
        }
        try {
            listener.stop(timeout);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "the wake-up listener did not stop cleanly", e);
        }
    }

    public Status status() {
        return listener == null ? Status.DISABLED : listener.status(announcer.sent(), announcer.failures());
    }
}
