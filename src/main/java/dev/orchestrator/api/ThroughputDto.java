package dev.orchestrator.api;

import java.time.Instant;
import java.util.List;

/** {@code GET /api/queue/throughput}: jobs finished per minute, the last hour, oldest first. */
public record ThroughputDto(List<Minute> minutes) {
    static final int MINUTES = 60;

    /** One minute (its start) and the jobs that finished in it. */
    public record Minute(Instant minute, long done, long failed, long cancelled) {
    }
}
