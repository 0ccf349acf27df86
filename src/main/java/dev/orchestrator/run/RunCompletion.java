package dev.orchestrator.run;

import dev.orchestrator.runfiles.LogTail;

import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.store.JobStore;
import dev.orchestrator.runfiles.RunFilesLayout;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finishes a run from its exit status with one fenced transition: done, transient requeue with
 * back-off, requeue after a failed attempt, or failed. The same rules serve the in-JVM watcher, the
 * reaper and recovery (which read the status from the run's exit file). A run that lost its job
 * meanwhile changes nothing and is recorded as superseded.
 */
public class RunCompletion {
    private static final Logger LOG = Logger.getLogger(RunCompletion.class.getName());

    private final JobStore store;
    private final Clock clock;
    private final RetryRules rules;
    private final ActiveRuns active;
    private final QueueEvents events;
    private volatile Runnable slotFreed = () -> { };

    /** The termination reason that makes a run end cancelled rather than as a failed attempt. */
    public static final String CANCELLED_BY_OPERATOR = "cancelled by operator";
    /** The termination reason of a run this node gave up at its orderly stop: requeued, not counted. */
    public static final String NODE_SHUTDOWN = "node shut down while the run was in progress; requeued";

    public RunCompletion(JobStore store, Clock clock, RetryRules rules, ActiveRuns active, QueueEvents events) {
        this.store = store;
        this.clock = clock;
        this.rules = rules;
        this.active = active;
        this.events = events;
    }

    public void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /** The watched process of {@code run} exited with {@code exitCode}. */
    void onExit(RunRef run, AgentDefinition agent, int exitCode) {
        try {
            // a run that ended on its own is finished by its exit status, even while the node stops;
            // only a run this node killed for its stop is given up
            Optional<String> terminated = active.terminationReason(run.jobId(), run.runId());
            if (terminated.filter(NODE_SHUTDOWN::equals).isPresent()) {
                abandon(run.jobId(), run.runId(), exitCode, NODE_SHUTDOWN);
            } else if (terminated.filter(CANCELLED_BY_OPERATOR::equals).isPresent()) {
                cancelled(run.jobId(), run.runId(), exitCode);
            } else if (terminated.isPresent()) {
                failedAttempt(run, exitCode, false, terminated.get() + " (exit code " + exitCode + ")");
            } else {
                finish(run, agent, exitCode, "");
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

    /** Ends a running job as cancelled (fenced by its run, or by having none yet). */
    public boolean cancelled(long jobId, Long runId, Integer exitCode) {
        Ownership o = store.finishCancelled(jobId, runId, exitCode, CANCELLED_BY_OPERATOR, clock.instant());
        if (o.owned()) {
            events.record(QueueEvent.CANCELLED);
            LOG.log(Level.INFO, "job {0} run {1}: cancelled", new Object[] {jobId, runId});
            cancelDoomed();
        }
        return o.owned();
    }

    /** Cancels queued jobs that can no longer run (a dependency failed or was cancelled). */
    public void cancelDoomed() {
        java.util.List<Long> cancelled = store.cancelDoomedQueued(clock.instant());
        if (!cancelled.isEmpty()) {
            events.record(QueueEvent.CANCELLED, cancelled.size());
            LOG.log(Level.INFO, "cancelled queued job(s) {0}: a dependency failed or was cancelled", cancelled);
        }
    }

    /** The run was given up by this node (shutdown): requeue without counting an attempt. */
    public void abandon(long jobId, long runId, Integer exitCode, String error) {
        Ownership o = store.requeueAbandoned(jobId, runId, exitCode, error, clock.instant());
        if (o.owned()) {
            events.record(QueueEvent.ABANDONED);
            LOG.log(Level.INFO, "job {0} run {1}: {2}", new Object[] {jobId, runId, error});
        }
    }

    private boolean finish(RunRef run, AgentDefinition agent, int exitCode, String context) {
        Instant now = clock.instant();
        java.util.List<String> lastLines = exitCode == 0 || run.runDir() == null ? java.util.List.of()
                : LogTail.lastLines(run.runDir().resolve(RunFilesLayout.LOG_FILE), rules.outputLines(), 64 * 1024);
        switch (ExitPolicy.classify(agent, exitCode, lastLines, rules.transientPatterns())) {
            case SUCCEEDED -> {
                return report(store.finishDone(run.jobId(), run.runId(), exitCode, now), run, QueueEvent.SUCCEEDED,
                        "done" + context);
            }
            case TRANSIENT -> {
                if (run.transientAttempts() + 1 > rules.maxTransientAttempts()) {
                    String error = "failed: transient failure " + (run.transientAttempts() + 1) + " exceeds "
                            + "ORCH_MAX_TRANSIENT_ATTEMPTS=" + rules.maxTransientAttempts() + "; last: exit code "
                            + exitCode + tail(run) + context;
                    boolean won = report(store.failTransientExhausted(run.jobId(), run.runId(), exitCode, error, now),
                            run, QueueEvent.FAILED, error);
                    if (won) {
                        cancelDoomed();
                    }
                    return won;
                }
                Instant at = now.plus(rules.backoff().delayAfter(run.transientAttempts()));
                String error = "transient exit code " + exitCode + tail(run) + "; retry after " + at + context;
                return report(store.requeueTransient(run.jobId(), run.runId(), exitCode, error, at, now), run,
                        QueueEvent.TRANSIENT_REQUEUED, error);
            }
            default -> {
                return failedAttempt(run, exitCode, false, "exit code " + exitCode + tail(run) + context);
            }
        }
    }

    private boolean failedAttempt(RunRef run, Integer exitCode, boolean launch, String error) {
        Instant now = clock.instant();
        Optional<JobStatus> next = store.finishFailedAttempt(run.jobId(), run.runId(), exitCode, launch, error, now,
                now);
        if (launch) {
            events.record(QueueEvent.LAUNCH_FAILED);
        }
        if (next.isEmpty()) {
            lost(run);
            return false;
        }
        if (next.get() == JobStatus.FAILED) {
            events.record(QueueEvent.FAILED);
            cancelDoomed();
            LOG.log(Level.INFO, "job {0} run {1} failed for good after attempt {2}/{3}: {4}",
                    new Object[] {run.jobId(), run.runId(), run.attempts() + 1, run.maxAttempts(), error});
        } else {
            events.record(QueueEvent.RETRIED);
            LOG.log(Level.INFO, "job {0} run {1} failed attempt {2}/{3}, requeued: {4}",
                    new Object[] {run.jobId(), run.runId(), run.attempts() + 1, run.maxAttempts(), error});
        }
        return true;
    }

    private boolean report(Ownership o, RunRef run, QueueEvent event, String what) {
        if (o.owned()) {
            events.record(event);
            LOG.log(Level.FINE, "job {0} run {1}: {2}", new Object[] {run.jobId(), run.runId(), what});
            return true;
        }
        lost(run);
        return false;
    }

    private void lost(RunRef run) {
        events.record(QueueEvent.OWNERSHIP_LOST);
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
