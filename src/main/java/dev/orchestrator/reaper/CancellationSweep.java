package dev.orchestrator.reaper;

import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.run.TerminationReason;
import dev.orchestrator.store.FinishStore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Carries out cancel requests for this node's running jobs (the API may have been called on
 * another node): a watched run's process group is killed and its exit recorded as cancelled; an
 * unwatched one is killed if still alive, then cancelled. Also cancels queued jobs that can no
 * longer run (a dependency failed or was cancelled). Part of every reaper pass, even with the
 * reaper switched off.
 */
public final class CancellationSweep implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(CancellationSweep.class.getName());

    private final NodeContext node;
    private final FinishStore finishes;
    private final RunTermination termination;
    private final RunCompletion completion;

    public CancellationSweep(NodeContext node, FinishStore finishes, RunTermination termination,
                             RunCompletion completion) {
        this.node = node;
        this.finishes = finishes;
        this.termination = termination;
        this.completion = completion;
    }

    @Override
    public Result runOnce() {
        int errors = 0;
        for (RunningJob job : finishes.runningJobs()) {
            if (!job.cancelRequested() || !node.owns(job.claimedBy())) {
                continue;
            }
            try {
                cancel(job);
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "cancel of job " + job.id() + " failed; going on", e);
            }
        }
        completion.cancelDoomed();
        return Result.errors(errors);
    }

    /** Kills the run of a job of this node being cancelled; its exit then ends the job as cancelled. */
    public void cancel(RunningJob job) {
        if (job.runId() != null && termination.isWatching(job.id(), job.runId())) {
            termination.terminateWatched(job.id(), job.runId(), TerminationReason.OPERATOR_CANCEL);
            return;
        }
        termination.killIfAlive(job);
        completion.cancelled(job.id(), job.runId(), null, job.agent());
    }
}
