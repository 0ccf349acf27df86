package dev.orchestrator.domain.event;

import java.time.Instant;

/**
 * One transition: of a job ({@code enqueued}, {@code claimed}, {@code started}, {@code finished},
 * {@code cancelled}, {@code retried}) or of claiming ({@code paused}, {@code resumed}, with their
 * scope). Fields that do not apply are null: a pause has no job; {@code availableAt} is set for
 * {@code retried} only; {@code repo} of a pause is null when it pauses everything.
 */
public record JobEvent(EventPosition position, Instant at, String type, Long jobId, String repo, String agent,
                       String status, Long runId, String node, Integer attempts, Instant availableAt, String scope) {
    public static final java.util.List<String> TYPES = java.util.List.of("enqueued", "claimed", "started", "finished",
            "cancelled", "retried", "paused", "resumed");

    /** A pause or a resume (not about one job). */
    public boolean aboutClaiming() {
        return jobId == null;
    }
}
