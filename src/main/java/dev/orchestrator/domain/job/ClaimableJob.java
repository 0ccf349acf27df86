package dev.orchestrator.domain.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A queued job that no gate of its own holds (only capacity may), with how long it has been
 * claimable: since it became available (enqueue, requeue, end of a back-off) or its last dependency
 * finished, whichever is later. A pause or a busy repo that ended is not known, so a job released by
 * one counts from its earlier time.
 */
public record ClaimableJob(long id, String agent, String repo, int priority, Instant claimableSince, Duration age) {
}
