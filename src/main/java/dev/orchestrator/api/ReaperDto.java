package dev.orchestrator.api;

import dev.orchestrator.node.NodeLease;
import dev.orchestrator.reaper.ReaperStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The {@code reaper} block of {@code GET /api/queue}: the reaper's record and this node's lease. */
public record ReaperDto(Map<String, Boolean> enabled, Instant lastTickAt, Long lastTickMs, long ticksTotal,
                        long errorsTotal, long impossibleQueuedTotal, LastImpossibleQueuedDto lastImpossibleQueued,
                        Map<String, Long> reapedTotal, long orphansKilledTotal, long finishedFromExitFileTotal,
                        long recoveredAtStartup, NodeDto node) {

    /** The last batch of impossible queued rows the sanitizer healed. */
    public record LastImpossibleQueuedDto(int count, Instant at, List<Long> jobIds) {
    }

    /** This node's lease. */
    public record NodeDto(String id, Instant lastHeartbeatAt, boolean fenced, long fencedTotal) {
    }

    static ReaperDto of(ReaperStatus r, NodeLease.Status lease) {
        ReaperStatus.LastImpossibleQueued last = r.lastImpossibleQueued();
        return new ReaperDto(r.enabled(), r.lastTickAt(), r.lastTickMs(), r.ticksTotal(), r.errorsTotal(),
                r.impossibleQueuedTotal(),
                last == null ? null : new LastImpossibleQueuedDto(last.count(), last.at(), last.jobIds()),
                r.reapedTotal(), r.orphansKilledTotal(), r.finishedFromExitFileTotal(), r.recoveredAtStartup(),
                new NodeDto(lease.id(), lease.lastHeartbeatAt(), lease.fenced(), lease.fencedTotal()));
    }
}
