package dev.orchestrator.domain.node;

import java.util.Objects;

/**
 * One running server incarnation: a JVM on a host during one boot of that host.
 * A run's process is identified by (node, boot id, pid, process start time), never by pid alone.
 */
public record NodeIdentity(String id, String host, String bootId, long jvmPid, java.time.Instant jvmStartedAt,
                           Long jvmStartTicks) {
    public NodeIdentity {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(bootId, "bootId");
    }

}
