package dev.orchestrator.domain.job;

import java.util.Map;

/**
 * The gates a claim applies: the cluster-wide capacity, the serial gate (one running job per
 * repo), the dependency gate, and per-agent limits (agent name -> most running at once).
 */
public record ClaimPolicy(int maxConcurrency, boolean serialGate, boolean dependencyGate,
                          Map<String, Integer> agentLimits) {
    public ClaimPolicy {
        agentLimits = Map.copyOf(agentLimits);
    }

}
