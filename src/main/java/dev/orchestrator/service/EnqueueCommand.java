package dev.orchestrator.service;

import java.util.List;

/**
 * A client's enqueue request as parsed from JSON, not yet validated against the server's agents
 * and rules. Optional fields are null when absent. {@code dependsOnIndex} (earlier items of the
 * same batch) is only ever set for an item of a batch.
 */
public record EnqueueCommand(String agent, String repo, String payloadJson, Integer priority, Integer maxAttempts,
                             List<Long> dependsOn, List<Integer> dependsOnIndex) {
    public EnqueueCommand(String agent, String repo, String payloadJson, Integer priority, Integer maxAttempts,
                          List<Long> dependsOn) {
        this(agent, repo, payloadJson, priority, maxAttempts, dependsOn, null);
    }
}
