package dev.orchestrator.domain.job;

import dev.orchestrator.domain.agent.RepoName;
import java.util.Objects;

/**
 * A validated request to enqueue a job. {@code payloadJson} is well-formed JSON text.
 */
public record NewJob(String agent, RepoName repo, String payloadJson, int priority, int maxAttempts) {
    public static final int MIN_PRIORITY = -1000;
    public static final int MAX_PRIORITY = 1000;
    public static final int MAX_MAX_ATTEMPTS = 100;

    public NewJob {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(payloadJson, "payloadJson");
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority out of range: " + priority);
        }
        if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
            throw new IllegalArgumentException("max_attempts out of range: " + maxAttempts);
        }
    }
}
