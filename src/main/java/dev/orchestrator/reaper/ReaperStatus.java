package dev.orchestrator.reaper;

import dev.orchestrator.node.NodeLease;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the reaper (and this node's lease) has done since this node started; {@code GET /api/queue}. */
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
        long recoveredAtStartup,
        NodeLease.Status node) {

    /** The last batch of impossible queued rows the sanitizer healed. */
    public record LastImpossibleQueued(int count, Instant at, List<Long> jobIds) {
    }
}
