package dev.orchestrator.node;

import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.run.Dispatcher;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.run.TerminationReason;
import dev.orchestrator.store.NodeStore;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's lease: a heartbeat on the database clock every ORCH_NODE_HEARTBEAT_SECONDS. Other
 * nodes reclaim this node's jobs once it has missed ORCH_NODE_LEASE_SECONDS. So that a job never
 * runs here while another node runs it too, this node fences itself first:
 * <ul>
 * <li>no successful heartbeat for half the lease (database unreachable): stop claiming and kill the
 *     process groups of all running agents; resume claiming once a heartbeat succeeds. With the
 *     configuration check (lease >= 2 x (heartbeat + kill grace) + 40 s, covering a 15 s statement
 *     timeout and the kill itself) the agents are dead before any other node may reclaim;</li>
 * <li>the heartbeat finds the node already fenced (another node reclaimed its jobs): kill all
 *     running agents (their jobs are no longer ours), then rejoin and go on.</li>
 * </ul>
 */
public final class NodeLease {
    private static final Logger LOG = Logger.getLogger(NodeLease.class.getName());

    /** The lease as this node sees it. */
    public record Status(String id, Instant lastHeartbeatAt, boolean fenced, long fencedTotal) {
    }

    private final NodeContext node;
    private final NodeStore nodes;
    private final Dispatcher dispatcher;
    private final RunTermination termination;
    private final Duration selfFenceAfter;
    private final LongSupplier nanoTime;
    private final AtomicLong fencedTotal = new AtomicLong();
    private volatile long lastOkNanos;
    private volatile Instant lastHeartbeatAt;
    private volatile boolean fenced;
    private final Object beat = new Object();
    private boolean closed;

    /** @param nanoTime a monotonic clock for "how long without a heartbeat" (a wall clock may jump) */
    public NodeLease(NodeContext node, NodeStore nodes, Dispatcher dispatcher, RunTermination termination,
                     Duration lease, LongSupplier nanoTime) {
        this.node = node;
        this.nodes = nodes;
        this.dispatcher = dispatcher;
        this.termination = termination;
        this.selfFenceAfter = lease.dividedBy(2);
        this.nanoTime = nanoTime;
        this.lastOkNanos = nanoTime.getAsLong();
        this.lastHeartbeatAt = node.clock().instant();
    }

    /**
     * One heartbeat; never throws. Does nothing once the lease is {@link #close closed}: a
     * heartbeat after the node recorded its stop would find the node "fenced" and rejoin it,
     * clearing its {@code stopped_at}, and later nodes would take the dead node for a live one.
     */
    public void heartbeat() {
        synchronized (beat) {
            if (!closed) {
                beat();
            }
        }
    }

    /**
     * Ends the heartbeats before the node records its stop; waits for one in flight (bounded by
     * the statement timeout), so none runs after this returns.
     */
    public void close() {
        synchronized (beat) {
            closed = true;
        }
    }

    private void beat() {
        Ownership o;
        try {
            o = nodes.heartbeat(node.id());
        } catch (RuntimeException e) {
            Duration silent = Duration.ofNanos(nanoTime.getAsLong() - lastOkNanos);
            LOG.log(Level.WARNING, "node " + node.id() + ": heartbeat failed (no heartbeat for " + silent.toSeconds()
                    + " s)", e);
            if (!fenced && silent.compareTo(selfFenceAfter) > 0) {
                fence("no heartbeat for " + silent.toSeconds() + " s; other nodes may reclaim this node's jobs");
            }
            return;
        }
        lastOkNanos = nanoTime.getAsLong();
        lastHeartbeatAt = node.clock().instant();
        if (!o.owned()) {
            fence("another node reclaimed this node's jobs after its lease expired");
            nodes.rejoin(node.id());
            LOG.log(Level.WARNING, "node {0} rejoined after being fenced", node.id());
        }
        if (fenced) {
            fenced = false;
            dispatcher.resume();
            LOG.log(Level.WARNING, "node {0}: heartbeat restored; claiming again", node.id());
        }
    }

    private void fence(String reason) {
        fenced = true;
        fencedTotal.incrementAndGet();
        dispatcher.pause();
        LOG.log(Level.SEVERE, "node {0} fenced itself: {1}; stopped claiming and killing {2} running agent(s)",
                new Object[] {node.id(), reason, termination.watchedCount()});
        termination.terminateAllWatched(new TerminationReason.NodeFenced(reason));
    }

    public boolean isFenced() {
        return fenced;
    }

    public Status status() {
        return new Status(node.id(), lastHeartbeatAt, fenced, fencedTotal.get());
    }
}
