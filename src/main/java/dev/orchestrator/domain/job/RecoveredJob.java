package dev.orchestrator.domain.job;

/** A running job taken back from a dead node: requeued (or failed when out of attempts). */
public record RecoveredJob(long id, Long runId, JobStatus status) {
}
