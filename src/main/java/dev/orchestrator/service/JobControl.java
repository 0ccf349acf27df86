package dev.orchestrator.service;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.node.WakeReason;
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
     * cancelled (by this node if it runs the job, else by the owning node's next reaper pass). A job
     * outside the caller's repos is not found. Every outcome is in the audit trail, written in the
     * transaction of the change where there is one.
     */
    public Answer cancel(long jobId, Caller caller) {
        if (!visible(jobId, caller)) {
            return audited(caller, AuditEvent.CANCEL, jobId, new Answer(Result.NOT_FOUND, null));
        }
        for (int tries = 0; tries < 3; tries++) { // the status may change under us; each step is guarded
            Optional<JobStatus> status = control.statusOf(jobId);
            if (status.isEmpty()) {
                return audited(caller, AuditEvent.CANCEL, jobId, new Answer(Result.NOT_FOUND, null));
            }
            switch (status.get()) {
                case QUEUED -> {
                    boolean cancelled = jobs.changeLocked(jobId, job -> {
                        if (job.status() != JobStatus.QUEUED) {
                            return false; // claimed meanwhile: look again
                        }
                        job.cancel(TerminationReason.OPERATOR_CANCEL.text(), now());
                        return true;
                    }, done -> done ? event(caller, AuditEvent.CANCEL, AuditEvent.job(jobId),
                            AuditEvent.Result.DONE, "queued job cancelled") : null).orElse(false);
                    if (cancelled) {
                        node.cancelDoomed();
                        return new Answer(Result.DONE, JobStatus.CANCELLED);
                    }
                }
                case RUNNING -> {
                    if (control.requestCancel(jobId, context.clock().instant(), event(caller, AuditEvent.CANCEL,
                            AuditEvent.job(jobId), AuditEvent.Result.IN_PROGRESS,
                            "running job: its process group is being stopped"))) {
                        node.stores().finishes().runningJobs().stream()
                                .filter(j -> j.id() == jobId && context.owns(j.claimedBy()))
                                .findFirst()
                                .ifPresent(node.cancellations()::cancel);
                        JobStatus now = control.statusOf(jobId).orElse(JobStatus.CANCELLED);
                        return new Answer(now == JobStatus.RUNNING ? Result.IN_PROGRESS : Result.DONE, now);
                    }
                }
                default -> {
                    return audited(caller, AuditEvent.CANCEL, jobId, new Answer(Result.CONFLICT, status.get()));
                }
            }
        }
        return audited(caller, AuditEvent.CANCEL, jobId,
                new Answer(Result.CONFLICT, control.statusOf(jobId).orElse(null)));
    }

    /** failed or cancelled -> queued with attempts and transient attempts reset; audited like cancel. */
    public Answer retry(long jobId, Caller caller) {
        if (!visible(jobId, caller)) {
            return audited(caller, AuditEvent.RETRY, jobId, new Answer(Result.NOT_FOUND, null));
        }
        Optional<Answer> changed = jobs.changeLocked(jobId, job -> {
            if (!job.canRetry()) {
                return new Answer(Result.CONFLICT, job.status());
            }
            job.retry(now());
            return new Answer(Result.DONE, JobStatus.QUEUED);
        }, a -> a.result() == Result.DONE ? event(caller, AuditEvent.RETRY, AuditEvent.job(jobId),
                AuditEvent.Result.DONE, "back to queued") : null);
        if (changed.isEmpty() || changed.get().result() != Result.DONE) {
            return audited(caller, AuditEvent.RETRY, jobId, changed.orElse(new Answer(Result.NOT_FOUND, null)));
        }
        node.wake(WakeReason.RETRIED);
        return changed.get();
    }

    private boolean visible(long jobId, Caller caller) {
        return caller.repos().unrestricted() || control.repoOf(jobId).map(caller::mayTouch).orElse(false);
    }

    /** Records an answer that changed nothing (not found, conflict) in a transaction of its own. */
    private Answer audited(Caller caller, String action, long jobId, Answer a) {
        AuditEvent.Result r = switch (a.result()) {
            case NOT_FOUND -> AuditEvent.Result.NOT_FOUND;
            case CONFLICT -> AuditEvent.Result.CONFLICT;
            case DONE -> AuditEvent.Result.DONE;
            case IN_PROGRESS -> AuditEvent.Result.IN_PROGRESS;
        };
        node.stores().audit().record(event(caller, action, AuditEvent.job(jobId), r,
                a.status() == null ? null : "job is " + a.status().db()));
        return a;
    }

    private AuditEvent event(Caller caller, String action, String target, AuditEvent.Result result, String detail) {
        return AuditEvent.of(caller, context.clock().instant(), action, target, result, detail);
    }

    /** PostgreSQL keeps microseconds: truncated, so that what is written is what is stored. */
    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(context.clock().instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    /**
     * Pauses claiming everywhere ({@code repo} empty) or for one repo; durable, idempotent, audited in
     * the same transaction. A token limited to some repos may pause only those.
     */
    public void pause(Optional<RepoName> repo, Caller caller) {
        String scope = authorizedScope(repo, caller, AuditEvent.PAUSE);
        control.pause(scope, context.clock().instant(),
                event(caller, AuditEvent.PAUSE, scope, AuditEvent.Result.DONE, null));
    }

    public void resume(Optional<RepoName> repo, Caller caller) {
        String scope = authorizedScope(repo, caller, AuditEvent.RESUME);
        control.resume(scope, event(caller, AuditEvent.RESUME, scope, AuditEvent.Result.DONE, null));
        node.wake(WakeReason.RESUMED);
    }

    private String authorizedScope(Optional<RepoName> repo, Caller caller, String action) {
        String scope = scope(repo);
        boolean allowed = repo.map(r -> caller.mayTouch(r.value())).orElse(caller.repos().unrestricted());
        if (!allowed) {
            String why = repo.isPresent()
                    ? "token '" + caller.name() + "' may not touch repo '" + repo.get().value() + "'"
                    : "token '" + caller.name() + "' is limited to repos " + caller.repos().patterns()
                            + " and may not " + action + " everything; name a repo with ?repo=";
            node.stores().audit().record(event(caller, action, scope, AuditEvent.Result.FORBIDDEN, why));
            throw new AccessDeniedException(why);
        }
        return scope;
    }

    /** The paused scopes: "*" for everything, "repo:NAME" for one repo. */
    public List<String> pauses() {
        return control.pauses();
    }

    private static String scope(Optional<RepoName> repo) {
        return repo.map(r -> "repo:" + r.value()).orElse("*");
    }
}
