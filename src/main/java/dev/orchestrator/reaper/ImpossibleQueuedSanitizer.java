package dev.orchestrator.reaper;

import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.store.ClaimStore;
import dev.orchestrator.store.FinishStore;
import java.time.Duration;
import java.time.Instant;
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
 *
 * <p>At start-up and then at most every {@link #BOOKKEEPING_HEAL_INTERVAL}, it also heals the claim's
 * bookkeeping (ADR 0009): a job the lanes fail to cover, or whose unfinished-dependency count is too
 * high, could never be claimed. The triggers keep both exact, so this finds nothing unless a writer
 * bypassed them; each heal reads every queued job, hence the interval.
 */
public final class ImpossibleQueuedSanitizer implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(ImpossibleQueuedSanitizer.class.getName());

    private final NodeContext node;
    /** How often, at most, the claim's bookkeeping is checked (it reads every queued job). */
    static final Duration BOOKKEEPING_HEAL_INTERVAL = Duration.ofMinutes(10);

    private final FinishStore finishes;
    private final ClaimStore claims;
    private Instant lastBookkeepingHeal;
    private final AtomicLong total = new AtomicLong();
    private final AtomicReference<ReaperStatus.LastImpossibleQueued> last = new AtomicReference<>();

    public ImpossibleQueuedSanitizer(NodeContext node, FinishStore finishes, ClaimStore claims) {
        this.node = node;
        this.finishes = finishes;
        this.claims = claims;
    }

    @Override
    public Result runOnce() {
        int bookkeeping = healClaimBookkeepingIfDue();
        List<ImpossibleQueuedJob> healed = finishes.sanitizeImpossibleQueued(node.clock().instant());
        if (healed.isEmpty()) {
            return bookkeeping == 0 ? Result.NOTHING : new Result(bookkeeping, 0, 0);
        }
        total.addAndGet(healed.size());
        node.events().record(QueueEvent.IMPOSSIBLE_QUEUED_HEALED, healed.size());
        last.set(new ReaperStatus.LastImpossibleQueued(healed.size(), node.clock().instant(),
                healed.stream().map(ImpossibleQueuedJob::id).toList()));
        LOG.log(Level.WARNING, "healed {0} impossible queued job(s) (queued while carrying run ownership): {1}",
                new Object[] {healed.size(), healed});
        return new Result(healed.size() + bookkeeping, 0, 0);
    }

    private synchronized int healClaimBookkeepingIfDue() {
        Instant now = node.clock().instant();
        if (lastBookkeepingHeal != null && now.isBefore(lastBookkeepingHeal.plus(BOOKKEEPING_HEAL_INTERVAL))) {
            return 0;
        }
        lastBookkeepingHeal = now;
        List<Long> jobs = claims.healClaimBookkeeping();
        if (!jobs.isEmpty()) {
            LOG.log(Level.WARNING, "healed the claim bookkeeping of {0} queued job(s) that no claim could have"
                    + " found (a writer bypassed the V6 triggers): {1}", new Object[] {jobs.size(), jobs});
        }
        return jobs.size();
    }

    long total() {
        return total.get();
    }

    ReaperStatus.LastImpossibleQueued last() {
        return last.get();
    }
}
