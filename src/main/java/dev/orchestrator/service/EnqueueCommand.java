package dev.orchestrator.service;

import java.util.List;

/**
 * A client's enqueue request as parsed from JSON, not yet validated against the server's agents
 * and rules. Optional fields are null when absent.
 */
public record EnqueueCommand(String agent, String repo, String payloadJson, Integer priority, Integer maxAttempts,
                             List<Long> dependsOn) {
}
