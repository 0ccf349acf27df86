package dev.orchestrator.service;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.TerminationReason;
import dev.orchestrator.store.ControlStore;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * Operators' control of jobs and of claiming: cancel, retry, pause, resume. A job that is not
 * running is changed through its entity ({@code Job.retry}, {@code Job.cancel}) under a row lock;
 * a running job is cancelled by killing its run, through the guarded statements.
 */
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

    private final OrchestratorNode node;
    private final NodeContext context;
    private final ControlStore control;
    private final JobRepository jobs;

    public JobControl(OrchestratorNode node, JobRepository jobs) {
        this.node = node;
        this.context = node.context();
        this.control = node.stores().control();
        this.jobs = jobs;
    }

    /**
     * queued -> cancelled at once; running -> its process group gets TERM then KILL and the job ends
     * cancelled (by this node if it runs the job, else by the owning node's next reaper pass).
     */
    public Answer cancel(long jobId) {
        for (int tries = 0; tries < 3; tries++) { // the status may change under us; each step is guarded
            Optional<JobStatus> status = control.statusOf(jobId);
            if (status.isEmpty()) {
                return new Answer(Result.NOT_FOUND, null);
            }
            switch (status.get()) {
                case QUEUED -> {
                    boolean cancelled = jobs.changeLocked(jobId, job -> {
                        if (job.status() != JobStatus.QUEUED) {
                            return false; // claimed meanwhile: look again
                        }
                        job.cancel(TerminationReason.OPERATOR_CANCEL.text(), now());
                        return true;
                    }).orElse(false);
                    if (cancelled) {
                        node.cancelDoomed();
                        return new Answer(Result.DONE, JobStatus.CANCELLED);
                    }
                }
                case RUNNING -> {
                    if (control.requestCancel(jobId, context.clock().instant())) {
                        node.stores().finishes().runningJobs().stream()
                                .filter(j -> j.id() == jobId && context.owns(j.claimedBy()))
                                .findFirst()
                                .ifPresent(node.cancellations()::cancel);
                        JobStatus now = control.statusOf(jobId).orElse(JobStatus.CANCELLED);
                        return new Answer(now == JobStatus.RUNNING ? Result.IN_PROGRESS : Result.DONE, now);
                    }
                }
                default -> {
                    return new Answer(Result.CONFLICT, status.get());
                }
            }
        }
        return new Answer(Result.CONFLICT, control.statusOf(jobId).orElse(null));
    }

    /** failed or cancelled -> queued with attempts and transient attempts reset. */
    public Answer retry(long jobId) {
        Answer answer = jobs.changeLocked(jobId, job -> {
            if (!job.canRetry()) {
                return new Answer(Result.CONFLICT, job.status());
            }
            job.retry(now());
            return new Answer(Result.DONE, JobStatus.QUEUED);
        }).orElse(new Answer(Result.NOT_FOUND, null));
        if (answer.result() == Result.DONE) {
            node.wake();
        }
        return answer;
    }

    /** PostgreSQL keeps microseconds: truncated, so that what is written is what is stored. */
    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(context.clock().instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    /** Pauses claiming everywhere ({@code repo} empty) or for one repo; durable, idempotent. */
    public void pause(Optional<RepoName> repo) {
        control.pause(scope(repo), context.clock().instant());
    }

    public void resume(Optional<RepoName> repo) {
        control.resume(scope(repo));
        node.wake();
    }

    /** The paused scopes: "*" for everything, "repo:NAME" for one repo. */
    public List<String> pauses() {
        return control.pauses();
    }

    private static String scope(Optional<RepoName> repo) {
        return repo.map(r -> "repo:" + r.value()).orElse("*");
    }
}
