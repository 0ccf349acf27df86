package dev.orchestrator.domain.job;

import java.time.Instant;

/** A queued row found carrying run ownership, with the values it carried. */
public record ImpossibleQueuedJob(long id, Long runId, Long pid, Instant startedAt, String claimedBy) {
}
