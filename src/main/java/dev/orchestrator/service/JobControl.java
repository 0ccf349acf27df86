package dev.orchestrator.service;

import dev.orchestrator.reaper.CancellationSweep;
import dev.orchestrator.run.Dispatcher;
import dev.orchestrator.run.RunCompletion;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.store.JobStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Operators' control of jobs and of claiming: cancel, retry, pause, resume. */
public final class JobControl {
    /** How a cancel or retry request ended. */
    public enum Result {
        /** Done: the job is now cancelled (cancel) or queued (retry). */
        DONE,
        /** The job is running; its process group is being killed and it will end cancelled. */
        IN_PROGRESS,
        NOT_FOUND,
        /** The job's status does not allow it (for instance cancel of a finished job). */
        CONFLICT
    }

    /** The result and the job's status as it was seen. */
    public record Answer(Result result, JobStatus status) {
    }

    private final JobStore store;
    private final CancellationSweep cancellations;
    private final RunCompletion completion;
    private final Dispatcher dispatcher;
    private final String nodeId;
    private final Clock clock;

    public JobControl(JobStore store, CancellationSweep cancellations, RunCompletion completion, Dispatcher dispatcher,
               String nodeId, Clock clock) {
        this.store = store;
        this.cancellations = cancellations;
        this.completion = completion;
        this.dispatcher = dispatcher;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    /**
     * queued -> cancelled at once; running -> its process group gets TERM then KILL and the job ends
     * cancelled (by this node if it runs the job, else by the owning node's next reaper pass).
     */
    public Answer cancel(long jobId) {
        for (int tries = 0; tries < 3; tries++) { // the status may change under us; each step is guarded
            Optional<JobStatus> status = status(jobId);
            if (status.isEmpty()) {
                return new Answer(Result.NOT_FOUND, null);
            }
            switch (status.get()) {
                case QUEUED -> {
                    if (store.cancelQueued(jobId, RunCompletion.CANCELLED_BY_OPERATOR, clock.instant())) {
                        completion.cancelDoomed();
                        return new Answer(Result.DONE, JobStatus.CANCELLED);
                    }
                }
                case RUNNING -> {
                    if (store.requestCancel(jobId, clock.instant())) {
                        store.runningJobs().stream()
                                .filter(j -> j.id() == jobId && nodeId.equals(j.claimedBy()))
                                .findFirst()
                                .ifPresent(this::cancelHere);
                        JobStatus now = status(jobId).orElse(JobStatus.CANCELLED);
                        return new Answer(now == JobStatus.RUNNING ? Result.IN_PROGRESS : Result.DONE, now);
                    }
                }
                default -> {
                    return new Answer(Result.CONFLICT, status.get());
                }
            }
        }
        return new Answer(Result.CONFLICT, status(jobId).orElse(null));
    }

    private void cancelHere(RunningJob job) {
        cancellations.cancel(job);
    }

    /** failed or cancelled -> queued with attempts and transient attempts reset. */
    public Answer retry(long jobId) {
        if (store.retry(jobId, clock.instant())) {
            dispatcher.wake();
            return new Answer(Result.DONE, JobStatus.QUEUED);
        }
        Optional<JobStatus> status = status(jobId);
        return new Answer(status.isEmpty() ? Result.NOT_FOUND : Result.CONFLICT, status.orElse(null));
    }

    /** Pauses claiming everywhere ({@code repo} empty) or for one repo; durable, idempotent. */
    public void pause(Optional<RepoName> repo) {
        store.pause(scope(repo), clock.instant());
    }

    public void resume(Optional<RepoName> repo) {
        store.resume(scope(repo));
        dispatcher.wake();
    }

    /** The paused scopes: "*" for everything, "repo:NAME" for one repo. */
    public List<String> pauses() {
        return store.pauses();
    }

    private static String scope(Optional<RepoName> repo) {
        return repo.map(r -> "repo:" + r.value()).orElse("*");
    }

    private Optional<JobStatus> status(long jobId) {
        return Optional.ofNullable(store.statusOf(jobId)).map(JobStatus::fromDb);
    }
}
