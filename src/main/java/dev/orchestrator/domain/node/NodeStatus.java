package dev.orchestrator.domain.node;

import java.time.Instant;

/**
 * A node as the {@code nodes} table and the running jobs show it: when it last proved it was alive
 * (heartbeats on the database clock), when its lease runs out, whether it stopped, and how many jobs it
 * runs now.
 */
public record NodeStatus(String id, String host, Instant startedAt, Instant heartbeatAt, double heartbeatAgeSeconds,
                         Instant leaseExpiresAt, Instant stoppedAt, long running) {
}
