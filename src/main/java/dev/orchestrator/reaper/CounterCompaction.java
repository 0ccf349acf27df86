package dev.orchestrator.reaper;

import dev.orchestrator.store.ControlStore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Folds the job counter rows that writers had to add (every base row taken by other transactions,
 * or a writer above READ COMMITTED) back into the base rows, so that reading the counts stays a sum
 * over a few dozen rows (ADR 0008). Keeps every total; one statement, a no-op when there is nothing
 * to fold. Part of every reaper pass, even with the reaper switched off: it only tidies counters.
 */
public final class CounterCompaction implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(CounterCompaction.class.getName());

    private final ControlStore control;

    public CounterCompaction(ControlStore control) {
        this.control = control;
    }

    @Override
    public Result runOnce() {
        long folded = control.compactCounts();
        if (folded > 0) {
            LOG.log(Level.FINE, "reaper: folded {0} extra job counter row(s)", folded);
        }
        return Result.NOTHING;
    }
}
