package dev.orchestrator.domain.job;

import java.time.Instant;

/**
 * A job as the claim returned it: running, owned by {@code claimedBy}, and not yet attached to
 * a run ({@code run_id} and {@code pid} are NULL until the launcher has a process).
 * {@code claimedAt} (the job's {@code started_at}) fences the window before the run exists.
 * {@code availableAt} is when the job became claimable (its enqueue, its requeue, or the end of its
 * back-off); the claim's dispatch latency is measured from it (null when unknown).
 */
public record ClaimedJob(long id, String agent, String repo, String payload, int priority, int attempts,
                         int maxAttempts, int transientAttempts, Instant claimedAt, String claimedBy,
                         Instant availableAt) {
    public ClaimedJob(long id, String agent, String repo, String payload, int priority, int attempts,
                      int maxAttempts, int transientAttempts, Instant claimedAt, String claimedBy) {
        this(id, agent, repo, payload, priority, attempts, maxAttempts, transientAttempts, claimedAt, claimedBy, null);
    }
}
