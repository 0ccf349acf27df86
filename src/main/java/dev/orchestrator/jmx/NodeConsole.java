package dev.orchestrator.jmx;

import dev.orchestrator.node.NodeLease;
import dev.orchestrator.node.OrchestratorNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** {@link NodeMXBean} over the node's lease and its watched runs. */
public final class NodeConsole implements NodeMXBean {
    private final OrchestratorNode node;
    private final Duration lease;

    /** @param lease ORCH_NODE_LEASE_SECONDS */
    public NodeConsole(OrchestratorNode node, Duration lease) {
        this.node = node;
        this.lease = lease;
    }

    private NodeLease.Status lease() {
        return node.lease().status();
    }

    @Override
    public String getNodeId() {
        return node.context().id();
    }

    @Override
    public String getHost() {
        return node.context().identity().host();
    }

    @Override
    public String getLastHeartbeatAt() {
        return String.valueOf(lease().lastHeartbeatAt());
    }

    @Override
    public long getHeartbeatAgeSeconds() {
        Instant at = lease().lastHeartbeatAt();
        return Math.max(0, Duration.between(at, node.context().clock().instant()).toSeconds());
    }

    @Override
    public String getLeaseExpiresAt() {
        return lease().lastHeartbeatAt().plus(lease).toString();
    }

    @Override
    public boolean isFenced() {
        return lease().fenced();
    }

    @Override
    public long getFencedTotal() {
        return lease().fencedTotal();
    }

    @Override
    public int getActiveRunCount() {
        return node.termination().watchedCount();
    }

    @Override
    public List<String> getActiveRuns() {
        return JmxErrors.clean("reading ActiveRuns", () -> node.stores().finishes().runningJobs().stream()
                .filter(j -> node.context().owns(j.claimedBy()))
                .map(j -> "job " + j.id() + " agent=" + j.agent() + " claimed_at=" + j.claimedAt()
                        + (j.runId() == null ? "" : " run=" + j.runId() + " pid=" + j.pid()))
                .toList());
    }
}
