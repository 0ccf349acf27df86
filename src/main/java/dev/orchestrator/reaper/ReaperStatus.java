package dev.orchestrator.reaper;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the reaper has done since this node started (the API shows it with the node's lease). */
public record ReaperStatus(
        Map<String, Boolean> enabled,
        Instant lastTickAt,
        Long lastTickMs,
        long ticksTotal,
        long errorsTotal,
        long impossibleQueuedTotal,
        LastImpossibleQueued lastImpossibleQueued,
        Map<String, Long> reapedTotal,
        long orphansKilledTotal,
        long finishedFromExitFileTotal,
        long recoveredAtStartup) {

    /** The last batch of impossible queued rows the sanitizer healed. */
    public record LastImpossibleQueued(int count, Instant at, List<Long> jobIds) {
    }
}
