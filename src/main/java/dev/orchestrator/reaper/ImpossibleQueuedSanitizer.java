package dev.orchestrator.reaper;

import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.store.FinishStore;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 1: heals queued rows that carry run ownership (rows written before the CHECK
 * constraint existed, restored backups, manual SQL with the constraint dropped) in one guarded
 * statement, counts them and remembers the last batch. Also run once at start-up. Kill-switch
 * {@code ORCH_IMPOSSIBLE_QUEUED_SANITIZE_ENABLED}.
 */
public final class ImpossibleQueuedSanitizer implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(ImpossibleQueuedSanitizer.class.getName());

    private final NodeContext node;
    private final FinishStore finishes;
    private final AtomicLong total = new AtomicLong();
    private final AtomicReference<ReaperStatus.LastImpossibleQueued> last = new AtomicReference<>();

    public ImpossibleQueuedSanitizer(NodeContext node, FinishStore finishes) {
        this.node = node;
        this.finishes = finishes;
    }

    @Override
    public Result runOnce() {
        List<ImpossibleQueuedJob> healed = finishes.sanitizeImpossibleQueued(node.clock().instant());
        if (healed.isEmpty()) {
            return Result.NOTHING;
        }
        total.addAndGet(healed.size());
        node.events().record(QueueEvent.IMPOSSIBLE_QUEUED_HEALED, healed.size());
        last.set(new ReaperStatus.LastImpossibleQueued(healed.size(), node.clock().instant(),
                healed.stream().map(ImpossibleQueuedJob::id).toList()));
        LOG.log(Level.WARNING, "healed {0} impossible queued job(s) (queued while carrying run ownership): {1}",
                new Object[] {healed.size(), healed});
        return new Result(healed.size(), 0, 0);
    }

    long total() {
        return total.get();
    }

    ReaperStatus.LastImpossibleQueued last() {
        return last.get();
    }
}
