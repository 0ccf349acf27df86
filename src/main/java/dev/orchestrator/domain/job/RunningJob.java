package dev.orchestrator.domain.job;

import java.time.Instant;

/**
 * A running job with what is recorded about its current run's process, for liveness checks
 * and recovery. Run fields are null while the job is claimed but not yet attached to a run.
 */
public record RunningJob(long id, String agent, String claimedBy, Instant claimedAt, Long runId, Long pid,
                         String bootId, Instant processStartedAt) {
}
