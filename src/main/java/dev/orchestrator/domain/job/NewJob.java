package dev.orchestrator.domain.job;

import dev.orchestrator.domain.agent.RepoName;
import java.util.Objects;

/**
 * A validated request to enqueue a job. {@code payloadJson} is well-formed JSON text.
 */
public record NewJob(String agent, RepoName repo, String payloadJson, int priority, int maxAttempts,
                     java.util.List<Long> dependsOn) {
    public static final int MIN_PRIORITY = -1000;
    public static final int MAX_PRIORITY = 1000;
    public static final int MAX_MAX_ATTEMPTS = 100;
    public static final int MAX_DEPENDENCIES = 100;

    public NewJob {
        dependsOn = java.util.List.copyOf(new java.util.TreeSet<>(dependsOn));
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

    /**
     * A digest of everything the job was asked to be (after defaults), to tell a retried request
     * (same Idempotency-Key, same request) from a conflicting one.
     */
    public String requestHash() {
        String canonical = String.join("\n", agent, repo.value(), payloadJson, Integer.toString(priority),
                Integer.toString(maxAttempts), dependsOn.toString());
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(canonical.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
