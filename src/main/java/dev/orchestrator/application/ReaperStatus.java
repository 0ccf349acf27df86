package dev.orchestrator.application;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the reaper has done since this node started; shown in {@code GET /api/queue}. */
public record ReaperStatus(
        boolean enabled,
        boolean impossibleQueuedSanitizeEnabled,
        Instant lastTickAt,
        Long lastTickMs,
        long ticksTotal,
        long errorsTotal,
        long impossibleQueuedTotal,
        LastImpossibleQueued lastImpossibleQueued,
        Map<String, Long> reapedTotal,
        long recoveredAtStartup) {

    /** The last batch of impossible queued rows the sanitizer healed. */
    public record LastImpossibleQueued(int count, Instant at, List<Long> jobIds) {
    }
}
