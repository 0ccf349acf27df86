package dev.orchestrator.jmx;

import java.util.Map;

/** dev.orchestrator:type=Agent,name=AGENT */
@Description("One agent of the agents file: its running jobs, its limit, and how its runs on this node ended")
public interface AgentMXBean {
    @Description("The agent's name in the agents file")
    String getName();

    @Description("Jobs of this agent running now, all nodes")
    long getRunningCount();

    @Description("The agent's max_concurrency (most of its jobs running at once, all nodes); -1 when unlimited")
    int getLimit();

    @Description("Runs of this agent finished by this node since it started, by outcome: done, retried, failed, "
            + "transient, launch_failed, superseded, cancelled (runs handed back at shutdown are not counted)")
    Map<String, Long> getFinishesByOutcome();
}
