package dev.orchestrator.jmx;

import dev.orchestrator.domain.run.RunOutcome;
import dev.orchestrator.node.OrchestratorNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@link AgentMXBean} for one agent. */
public final class AgentConsole implements AgentMXBean {
    private final OrchestratorNode node;
    private final String agent;

    public AgentConsole(OrchestratorNode node, String agent) {
        this.node = node;
        this.agent = agent;
    }

    @Override
    public String getName() {
        return agent;
    }

    @Override
    public long getRunningCount() {
        return JmxErrors.clean("reading RunningCount", () -> node.stores().finishes().runningJobs().stream()
                .filter(j -> agent.equals(j.agent())).count());
    }

    @Override
    public int getLimit() {
        Integer limit = node.policy().agentLimits().get(agent);
        return limit == null ? -1 : limit;
    }

    @Override
    public Map<String, Long> getFinishesByOutcome() {
        Map<String, Long> finishes = new LinkedHashMap<>();
        for (RunOutcome o : RunOutcome.values()) {
            if (o != RunOutcome.ABANDONED) {
                finishes.put(o.db(), node.context().events().finishes(agent, o));
            }
        }
        return finishes;
    }
}
