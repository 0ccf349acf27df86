package dev.orchestrator.reaper;

import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.RunCompletion;

import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Carries out cancel requests for this node's running jobs (the API may have been called on
 * another node): a watched run's process group is killed and its exit recorded as cancelled; an
 * unwatched one is killed if still alive, then cancelled. Also cancels queued jobs that can no
 * longer run (a dependency failed or was cancelled). Part of every reaper pass.
 */
public final class CancellationSweep {
    private static final Logger LOG = Logger.getLogger(CancellationSweep.class.getName());

    private final ProcessTable processes;
    private final ProcessGroups groups;
    private final ActiveRuns active;
    private final RunCompletion completion;
    private final String nodeId;
    private final Duration killGrace;
    private final Executor killer;

    CancellationSweep(ProcessTable processes, ProcessGroups groups, ActiveRuns active, RunCompletion completion,
                      String nodeId, Duration killGrace, Executor killer) {
        this.processes = processes;
        this.groups = groups;
        this.active = active;
        this.completion = completion;
        this.nodeId = nodeId;
        this.killGrace = killGrace;
        this.killer = killer;
    }

    /** Returns the number of rows that failed (logged). */
    int sweep(List<RunningJob> running) {
        int errors = 0;
        for (RunningJob job : running) {
            if (!job.cancelRequested() || !nodeId.equals(job.claimedBy())) {
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
        return errors;
    }

    /** Kills the run of a job being cancelled; its exit then ends the job as cancelled. */
    public void cancel(RunningJob job) {
        if (job.runId() != null && active.isWatching(job.id(), job.runId())) {
            if (active.markForTermination(job.id(), job.runId(), RunCompletion.CANCELLED_BY_OPERATOR)) {
                long pgid = active.get(job.id()).orElseThrow().process().pid();
                killer.execute(() -> groups.terminate(pgid, killGrace));
            }
            return;
        }
        if (job.pid() != null && processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.processStartTicks(), job.bootId())) {
            groups.terminateOrThrow(job.pid(), killGrace);
        }
        completion.cancelled(job.id(), job.runId(), null);
    }
}
