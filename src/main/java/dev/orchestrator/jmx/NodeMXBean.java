package dev.orchestrator.jmx;

import java.util.List;

/** dev.orchestrator:type=Node */
@Description("This server node: its identity, its lease (heartbeats on the database clock) and the runs it watches")
public interface NodeMXBean {
    @Description("The node's id: ORCH_NODE_NAME, JVM pid and a random suffix")
    String getNodeId();

    @Description("The host the node runs on")
    String getHost();

    @Description("Time of the last successful heartbeat as this node saw it (ISO-8601, UTC)")
    String getLastHeartbeatAt();

    @Description("Seconds since the last successful heartbeat")
    long getHeartbeatAgeSeconds();

    @Description("When the lease runs out without another heartbeat: last heartbeat + ORCH_NODE_LEASE_SECONDS "
            + "(ISO-8601, UTC); other nodes may reclaim this node's jobs after it")
    String getLeaseExpiresAt();

    @Description("True while the node has fenced itself (no heartbeat for half the lease, or another node reclaimed "
            + "its jobs): it claims nothing and has killed its agents")
    boolean isFenced();

    @Description("How often the node fenced itself since it started")
    long getFencedTotal();

    @Description("Runs whose processes this JVM started and watches now")
    int getActiveRunCount();

    @Description("The jobs this node runs now (from the database), one line each: id, agent, claimed at (UTC)")
    List<String> getActiveRuns();
}
