package dev.orchestrator.node;

import dev.orchestrator.store.WakeChannel;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Tells the other nodes that work may be claimable: one notification per burst. At most one send is
 * in flight per node; reasons that arrive meanwhile are sent together right after it, so a burst of
 * enqueues costs a few notifications, not one each. Payload: the reasons, a space, this node's id
 * (so that its own listener knows it already woke its dispatcher in-JVM).
 */
final class WakeAnnouncer {
    private static final Logger LOG = Logger.getLogger(WakeAnnouncer.class.getName());

    /** PostgreSQL refuses payloads of 8000 bytes and more; ids are far shorter in practice. */
    static final int MAX_NODE_ID = 1000;

    private final WakeChannel channel;
    private final String nodeId;
    private final Executor executor;
    private final Set<WakeReason> pending = EnumSet.noneOf(WakeReason.class);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private boolean sending;
    private boolean lastFailed;

    WakeAnnouncer(WakeChannel channel, String nodeId, Executor executor) {
        this.channel = channel;
        this.nodeId = nodeId;
        this.executor = executor;
    }

    /** Asks for a notification soon; returns at once. */
    void announce(WakeReason reason) {
        synchronized (this) {
            pending.add(reason);
            if (sending) {
                return;
            }
            sending = true;
        }
        try {
            executor.execute(this::sendPending);
        } catch (RejectedExecutionException e) {
            sendPending(); // the executor is shutting down (the node stops): send on this thread
        }
    }

    /** As {@link #announce}, but sent on this thread unless a send is in flight (which then takes it along). */
    void announceNow(WakeReason reason) {
        synchronized (this) {
            pending.add(reason);
            if (sending) {
                return;
            }
            sending = true;
        }
        sendPending();
    }

    long sent() {
        return sent.get();
    }

    long failures() {
        return failures.get();
    }

    private void sendPending() {
        while (true) {
            String reasons;
            synchronized (this) {
                if (pending.isEmpty()) {
                    sending = false;
                    return;
                }
                reasons = pending.stream().map(WakeReason::key).collect(Collectors.joining(","));
                pending.clear();
            }
            try {
                channel.announce(payload(reasons, nodeId));
                sent.incrementAndGet();
                lastFailed = false;
            } catch (RuntimeException e) {
                failures.incrementAndGet();
                // other nodes then find the work at their next poll; say so once per outage
                LOG.log(lastFailed ? Level.FINE : Level.WARNING, "could not notify other nodes (" + reasons
                        + "); they see the change at their next poll: " + e.getMessage(), e);
                lastFailed = true;
            }
        }
    }

    /** Reasons and the sender; a node id too long for a small payload is left out (its own listener then wakes it twice). */
    static String payload(String reasons, String nodeId) {
        return nodeId.length() > MAX_NODE_ID ? reasons : reasons + " " + nodeId;
    }

    /** True if {@code payload} was sent by node {@code nodeId}. */
    static boolean sentBy(String payload, String nodeId) {
        int space = payload == null ? -1 : payload.indexOf(' ');
        return space >= 0 && payload.substring(space + 1).equals(nodeId);
    }
}
