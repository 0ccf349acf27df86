package dev.orchestrator.domain.job;

import java.time.Instant;

/**
 * A job as the claim returned it: running, owned by {@code claimedBy}, and not yet attached to
 * a run ({@code run_id} and {@code pid} are NULL until the launcher has a process).
 * {@code claimedAt} (the job's {@code started_at}) fences the window before the run exists.
 */
public record ClaimedJob(long id, String agent, String repo, String payload, int priority, int attempts,
                         int maxAttempts, int transientAttempts, Instant claimedAt, String claimedBy) {
}
