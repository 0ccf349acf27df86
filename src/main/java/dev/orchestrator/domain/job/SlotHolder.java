package dev.orchestrator.domain.job;

import java.time.Instant;

/**
 * A running job, holding one slot of the cluster's capacity, with what is recorded about its run's
 * process and whether its claiming node's lease is valid (not stopped, heartbeat within the lease).
 * Run fields are null while the job is claimed but not yet attached or stamped.
 */
public record SlotHolder(long jobId, String agent, String repo, String node, Instant claimedAt, Long runId, Long pid,
                         String bootId, Instant processStartedAt, Long processStartTicks, boolean leaseValid) {
}
