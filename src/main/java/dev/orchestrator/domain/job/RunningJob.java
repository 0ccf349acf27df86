package dev.orchestrator.domain.job;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A running job with what is recorded about its current run's process, for liveness checks,
 * timeouts and recovery. Run fields are null while the job is claimed but not yet attached to a run
 * (or when the run row is missing).
 *
 * @param runDir the run's directory (where its log and exit file live), null without a run
 */
public record RunningJob(long id, String agent, String claimedBy, Instant claimedAt, int attempts, int maxAttempts,
                         int transientAttempts, Long runId, Long pid, String bootId, Instant processStartedAt,
                         Instant runStartedAt, Path runDir, boolean cancelRequested, Long processStartTicks) {
}
