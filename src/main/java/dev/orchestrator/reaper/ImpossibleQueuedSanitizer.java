package dev.orchestrator.reaper;

import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;

import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.store.JobStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 1: heals queued rows that carry run ownership (rows written before the CHECK
 * constraint existed, restored backups, manual SQL with the constraint dropped) in one guarded
 * statement, counts them and remembers the last batch. Kill-switch
 * {@code ORCH_IMPOSSIBLE_QUEUED_SANITIZE_ENABLED}.
 */
final class ImpossibleQueuedSanitizer {
    private static final Logger LOG = Logger.getLogger(ImpossibleQueuedSanitizer.class.getName());

    private final JobStore store;
    private final Clock clock;
    private final QueueEvents events;
    private final AtomicLong total = new AtomicLong();
    private final AtomicReference<ReaperStatus.LastImpossibleQueued> last = new AtomicReference<>();

    ImpossibleQueuedSanitizer(JobStore store, Clock clock, QueueEvents events) {
        this.store = store;
        this.clock = clock;
        this.events = events;
    }

    int sanitizeOnce() {
        List<ImpossibleQueuedJob> healed = store.sanitizeImpossibleQueued(clock.instant());
        if (healed.isEmpty()) {
            return 0;
        }
        total.addAndGet(healed.size());
        events.record(QueueEvent.IMPOSSIBLE_QUEUED_HEALED, healed.size());
        last.set(new ReaperStatus.LastImpossibleQueued(healed.size(), clock.instant(),
                healed.stream().map(ImpossibleQueuedJob::id).toList()));
        LOG.log(Level.WARNING, "healed {0} impossible queued job(s) (queued while carrying run ownership): {1}",
                new Object[] {healed.size(), healed});
        return healed.size();
    }

    long total() {
        return total.get();
    }

    ReaperStatus.LastImpossibleQueued last() {
        return last.get();
    }
}
