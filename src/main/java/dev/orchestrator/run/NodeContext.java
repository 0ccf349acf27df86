package dev.orchestrator.run;

import dev.orchestrator.domain.node.NodeIdentity;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * What every part of a node needs: who the node is, its one clock, the counters every part reports
 * to, the grace between TERM and KILL, and the executor of its asynchronous work (starts, kills,
 * exit handlers). It lives here, in the lowest of the node's packages, so that the reaper and the
 * node's own wiring can hand it down.
 */
public record NodeContext(NodeIdentity identity, Clock clock, QueueEvents events, Duration killGrace,
                          Executor executor) {
    public String id() {
        return identity.id();
    }

    /** True if {@code claimedBy} names this node. */
    public boolean owns(String claimedBy) {
        return identity.id().equals(claimedBy);
    }
}
