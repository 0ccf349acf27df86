package dev.orchestrator.application;

import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.infrastructure.persistence.JobStore;
import dev.orchestrator.infrastructure.persistence.RunFilesLayout;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finishes a run from its exit status with one fenced transition: done, transient requeue with
 * back-off, requeue after a failed attempt, or failed. A run that lost its job meanwhile changes
 * nothing and is recorded as superseded.
 */
public class RunCompletion {
    private static final Logger LOG = Logger.getLogger(RunCompletion.class.getName());

    private final JobStore store;
    private final Clock clock;
    private final BackoffPolicy backoff;
    private final ActiveRuns active;
    private final QueueEvents events;
    private volatile Runnable slotFreed = () -> { };
    private volatile boolean shuttingDown;

    public RunCompletion(JobStore store, Clock clock, BackoffPolicy backoff, ActiveRuns active, QueueEvents events) {
        this.store = store;
        this.clock = clock;
        this.backoff = backoff;
        this.active = active;
        this.events = events;
    }

    void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /** From now on a run that ends was given up by this node: requeue it without counting an attempt. */
    void beginShutdown() {
        shuttingDown = true;
    }

    /** The process of {@code run} exited with {@code exitCode}. */
    public void onExit(ClaimedJob job, RunStart run, AgentDefinition agent, int exitCode) {
        try {
            finish(job, run, agent, exitCode);
        } finally {
            active.remove(job.id(), run.runId());
            slotFreed.run();
        }
    }

    private void finish(ClaimedJob job, RunStart run, AgentDefinition agent, int exitCode) {
        Instant now = clock.instant();
        if (shuttingDown) {
            abandon(job.id(), run.runId(), exitCode, "node shut down while the run was in progress; requeued");
            return;
        }
        switch (ExitPolicy.classify(agent, exitCode)) {
            case SUCCEEDED -> {
                Ownership o = store.finishDone(job.id(), run.runId(), exitCode, now);
                report(o, job, run, QueueEvent.SUCCEEDED, "done");
            }
            case TRANSIENT -> {
                Instant at = now.plus(backoff.delayAfter(job.transientAttempts()));
                String error = "transient exit code " + exitCode + tail(run) + "; retry after " + at;
                Ownership o = store.requeueTransient(job.id(), run.runId(), exitCode, error, at, now);
                report(o, job, run, QueueEvent.TRANSIENT_REQUEUED, error);
            }
            case FAILED_ATTEMPT -> {
                String error = "exit code " + exitCode + tail(run);
                failedAttempt(job, run, exitCode, false, error);
            }
        }
    }

    /** The process could not be started: a failed attempt without an exit status. */
    public void onLaunchFailure(ClaimedJob job, RunStart run, String reason) {
        try {
            failedAttempt(job, run, null, true, "launch failed: " + reason);
        } finally {
            active.remove(job.id(), run.runId());
            slotFreed.run();
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

    private void failedAttempt(ClaimedJob job, RunStart run, Integer exitCode, boolean launch, String error) {
        Instant now = clock.instant();
        Optional<JobStatus> next = store.finishFailedAttempt(job.id(), run.runId(), exitCode, launch, error, now, now);
        if (launch) {
            events.record(QueueEvent.LAUNCH_FAILED);
        }
        if (next.isEmpty()) {
            lost(job, run);
        } else if (next.get() == JobStatus.FAILED) {
            events.record(QueueEvent.FAILED);
            LOG.log(Level.INFO, "job {0} run {1} failed for good after attempt {2}/{3}: {4}",
                    new Object[] {job.id(), run.runId(), job.attempts() + 1, job.maxAttempts(), error});
        } else {
            events.record(QueueEvent.RETRIED);
            LOG.log(Level.INFO, "job {0} run {1} failed attempt {2}/{3}, requeued: {4}",
                    new Object[] {job.id(), run.runId(), job.attempts() + 1, job.maxAttempts(), error});
        }
    }

    private void report(Ownership o, ClaimedJob job, RunStart run, QueueEvent event, String what) {
        if (o.owned()) {
            events.record(event);
            LOG.log(Level.FINE, "job {0} run {1}: {2}", new Object[] {job.id(), run.runId(), what});
        } else {
            lost(job, run);
        }
    }

    private void lost(ClaimedJob job, RunStart run) {
        events.record(QueueEvent.OWNERSHIP_LOST);
        LOG.log(Level.WARNING, "job {0}: run {1} ended after the job was taken from it (reaped, recovered or "
                + "cancelled); the job was left as it is", new Object[] {job.id(), run.runId()});
    }

    private static String tail(RunStart run) {
        String last = LogTail.lastLine(run.runDir().resolve(RunFilesLayout.LOG_FILE));
        return last.isEmpty() ? "" : " (last output: " + last + ")";
    }
}
