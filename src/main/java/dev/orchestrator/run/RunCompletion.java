package dev.orchestrator.run;

import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.run.RunOutcome;
import dev.orchestrator.runfiles.LogTail;
import dev.orchestrator.runfiles.RunFilesLayout;
import dev.orchestrator.store.ControlStore;
import dev.orchestrator.store.FinishStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finishes a run from its exit status with one fenced transition: done, transient requeue with
 * back-off, requeue after a failed attempt, or failed. The same rules serve the in-JVM watcher, the
 * reaper and recovery (which read the status from the run's exit file). A run that lost its job
 * meanwhile changes nothing and is recorded as superseded. A run this node killed ends by its
 * {@link TerminationReason}.
 */
public class RunCompletion {
    private static final Logger LOG = Logger.getLogger(RunCompletion.class.getName());

    private final NodeContext node;
    private final FinishStore finishes;
    private final ControlStore control;
    private final RetryRules rules;
    private final ActiveRuns active;
    private volatile Runnable slotFreed = () -> { };

    public RunCompletion(NodeContext node, FinishStore finishes, ControlStore control, RetryRules rules,
                         ActiveRuns active) {
        this.node = node;
        this.finishes = finishes;
        this.control = control;
        this.rules = rules;
        this.active = active;
    }

    /** Called whenever a run of this node ended and its slot is free again. */
    public void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /** The watched process of {@code run} exited with {@code exitCode}. */
    void onExit(RunRef run, AgentDefinition agent, int exitCode) {
        try {
            // a run that ended on its own is finished by its exit status, even while the node stops;
            // only a run this node killed ends by the reason it was killed for
            Optional<TerminationReason> terminated = active.terminationReason(run.jobId(), run.runId());
            if (terminated.isEmpty()) {
                finish(run, agent, exitCode, "");
            } else {
                TerminationReason reason = terminated.get();
                switch (reason.ending()) {
                    case REQUEUED_UNCOUNTED -> abandon(run, exitCode, reason.text());
                    case CANCELLED -> cancelled(run.jobId(), run.runId(), exitCode, run);
                    case FAILED_ATTEMPT -> failedAttempt(run, exitCode, false,
                            reason.text() + " (exit code " + exitCode + ")");
                }
            }
        } catch (RuntimeException e) {
            // e.g. the database is unreachable: the job stays running; the reaper finishes it later
            // from the run's exit file
            LOG.log(Level.WARNING, "job " + run.jobId() + " run " + run.runId() + ": exit " + exitCode
                    + " could not be recorded now; the reaper will finish the run from its exit file", e);
        } finally {
            active.remove(run.jobId(), run.runId());
            slotFreed.run();
        }
    }

    /** The process could not be started: a failed attempt without an exit status. */
    void onLaunchFailure(RunRef run, String reason) {
        try {
            failedAttempt(run, null, true, "launch failed: " + reason);
        } finally {
            active.remove(run.jobId(), run.runId());
            slotFreed.run();
        }
    }

    /**
     * Finishes an unwatched run from an exit status read from its exit file, exactly as the watcher
     * would have. {@code context} says how it was found. Returns false if the run had lost its job.
     */
    public boolean finishFromExitStatus(RunRef run, AgentDefinition agent, int exitCode, String context) {
        return finish(run, agent, exitCode, " (" + context + ")");
    }

    /** Finishes an unwatched run whose exit status is unknown: a failed attempt. */
    public boolean failUnknown(RunRef run, String error) {
        return failedAttempt(run, null, false, error);
    }

    /** Ends a running job as cancelled by an operator (fenced by its run, or by having none yet). */
    public boolean cancelled(long jobId, Long runId, Integer exitCode) {
        return cancelled(jobId, runId, exitCode, null);
    }

    /** As {@link #cancelled(long, Long, Integer)}, for a run whose agent and start are known ({@code run}). */
    public boolean cancelled(long jobId, Long runId, Integer exitCode, RunRef run) {
        Instant now = node.clock().instant();
        Ownership o = finishes.finishCancelled(jobId, runId, exitCode, TerminationReason.OPERATOR_CANCEL.text(), now);
        if (o.owned()) {
            finished(run, QueueEvent.CANCELLED, now);
            if (run != null) {
                node.events().finished(run.agent(), RunOutcome.CANCELLED);
            }
            LOG.log(Level.INFO, "job {0} run {1}: cancelled", new Object[] {jobId, runId});
            cancelDoomed();
        }
        return o.owned();
    }

    /** Cancels queued jobs that can no longer run (a dependency failed or was cancelled). */
    public void cancelDoomed() {
        List<Long> cancelled = control.cancelDoomedQueued(TerminationReason.OPERATOR_CANCEL.text(),
                node.clock().instant());
        if (!cancelled.isEmpty()) {
            node.events().record(QueueEvent.CANCELLED, cancelled.size());
            LOG.log(Level.INFO, "cancelled queued job(s) {0}: a dependency failed or was cancelled", cancelled);
        }
    }

    /** The run was given up by this node (shutdown): requeue without counting an attempt. */
    public void abandon(long jobId, long runId, Integer exitCode, String error) {
        abandon(jobId, runId, exitCode, error, null);
    }

    private void abandon(RunRef run, Integer exitCode, String error) {
        abandon(run.jobId(), run.runId(), exitCode, error, run);
    }

    private void abandon(long jobId, long runId, Integer exitCode, String error, RunRef run) {
        Instant now = node.clock().instant();
        Ownership o = finishes.requeueAbandoned(jobId, runId, exitCode, error, now);
        if (o.owned()) {
            finished(run, QueueEvent.ABANDONED, now);
            LOG.log(Level.INFO, "job {0} run {1}: {2}", new Object[] {jobId, runId, error});
        }
    }

    /** Counts a run's end with its agent and run time where known ({@code run} may be null). */
    private void finished(RunRef run, QueueEvent outcome, Instant now) {
        if (run == null) {
            node.events().finished(null, outcome, null);
        } else {
            node.events().finished(run.agent(), outcome,
                    run.startedAt() == null ? null : Duration.between(run.startedAt(), now));
        }
    }

    private boolean finish(RunRef run, AgentDefinition agent, int exitCode, String context) {
        Instant now = node.clock().instant();
        List<String> lastLines = exitCode == 0 || run.runDir() == null ? List.of()
                : LogTail.lastLines(run.runDir().resolve(RunFilesLayout.LOG_FILE), rules.outputLines(), 64 * 1024);
        switch (ExitPolicy.classify(agent, exitCode, lastLines, rules.transientPatterns())) {
            case SUCCEEDED -> {
                return report(finishes.finishDone(run.jobId(), run.runId(), exitCode, now), run, QueueEvent.SUCCEEDED,
                        RunOutcome.DONE, "done" + context);
            }
            case TRANSIENT -> {
                if (run.transientAttempts() + 1 > rules.maxTransientAttempts()) {
                    String error = "failed: transient failure " + (run.transientAttempts() + 1) + " exceeds "
                            + "ORCH_MAX_TRANSIENT_ATTEMPTS=" + rules.maxTransientAttempts() + "; last: exit code "
                            + exitCode + tail(run) + context;
                    boolean won = report(finishes.failTransientExhausted(run.jobId(), run.runId(), exitCode, error,
                            now), run, QueueEvent.FAILED, RunOutcome.FAILED, error);
                    if (won) {
                        cancelDoomed();
                    }
                    return won;
                }
                Instant at = now.plus(rules.backoff().delayAfter(run.transientAttempts()));
                String error = "transient exit code " + exitCode + tail(run) + "; retry after " + at + context;
                return report(finishes.requeueTransient(run.jobId(), run.runId(), exitCode, error, at, now), run,
                        QueueEvent.TRANSIENT_REQUEUED, RunOutcome.TRANSIENT, error);
            }
            default -> {
                return failedAttempt(run, exitCode, false, "exit code " + exitCode + tail(run) + context);
            }
        }
    }

    private boolean failedAttempt(RunRef run, Integer exitCode, boolean launch, String error) {
        Instant now = node.clock().instant();
        Optional<JobStatus> next = finishes.finishFailedAttempt(run.jobId(), run.runId(), exitCode, launch, error,
                now, now);
        if (launch) {
            node.events().record(QueueEvent.LAUNCH_FAILED);
        }
        if (next.isEmpty()) {
            lost(run);
            return false;
        }
        node.events().finished(run.agent(), launch ? RunOutcome.LAUNCH_FAILED
                : next.get() == JobStatus.FAILED ? RunOutcome.FAILED : RunOutcome.RETRIED);
        if (next.get() == JobStatus.FAILED) {
            finished(run, QueueEvent.FAILED, now);
            cancelDoomed();
            LOG.log(Level.INFO, "job {0} run {1} failed for good after attempt {2}/{3}: {4}",
                    new Object[] {run.jobId(), run.runId(), run.attempts() + 1, run.maxAttempts(), error});
        } else {
            finished(run, QueueEvent.RETRIED, now);
            LOG.log(Level.INFO, "job {0} run {1} failed attempt {2}/{3}, requeued: {4}",
                    new Object[] {run.jobId(), run.runId(), run.attempts() + 1, run.maxAttempts(), error});
        }
        return true;
    }

    private boolean report(Ownership o, RunRef run, QueueEvent event, RunOutcome outcome, String what) {
        if (o.owned()) {
            finished(run, event, node.clock().instant());
            node.events().finished(run.agent(), outcome);
            LOG.log(Level.FINE, "job {0} run {1}: {2}", new Object[] {run.jobId(), run.runId(), what});
            return true;
        }
        lost(run);
        return false;
    }

    private void lost(RunRef run) {
        node.events().record(QueueEvent.OWNERSHIP_LOST);
        node.events().finished(run.agent(), RunOutcome.SUPERSEDED);
        LOG.log(Level.WARNING, "job {0}: run {1} ended after the job was taken from it (reaped, recovered or "
                + "cancelled); the job was left as it is", new Object[] {run.jobId(), run.runId()});
    }

    private static String tail(RunRef run) {
        if (run.runDir() == null) {
            return "";
        }
        String last = LogTail.lastLine(run.runDir().resolve(RunFilesLayout.LOG_FILE));
        return last.isEmpty() ? "" : " (last output: " + last + ")";
    }
}
