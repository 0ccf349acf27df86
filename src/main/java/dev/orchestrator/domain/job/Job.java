package dev.orchestrator.domain.job;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * A unit of work: run {@code agent} for {@code repo} with {@code payload}.
 *
 * <p>State changes only through intention-named methods; there are no setters for status,
 * ownership, attempts or timestamps. Two paths write a job (ADR 0002): everything a running job
 * does (claim, start, finish, requeue, reap) is one guarded SQL statement of the queue's stores;
 * the operator transitions of a job that is not running ({@link #retry}, {@link #cancel}) are
 * these entity methods, applied to a job loaded under a row lock and written through JPA, where
 * {@link RunOwnershipListener} releases the run ownership of a job that returns to queued.
 */
@Entity
@Table(name = "jobs")
@EntityListeners(RunOwnershipListener.class)
public class Job {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, updatable = false)
    private String agent;

    @Column(nullable = false, updatable = false)
    private String repo;

    @Column(nullable = false, updatable = false)
    private String payload;

    @Column(nullable = false)
    private int priority;

    @Convert(converter = JobStatusConverter.class)
    @Column(nullable = false)
    private JobStatus status;

    @Column(nullable = false)
    private int attempts;

    @Column(name = "max_attempts", nullable = false)
    private int maxAttempts;

    @Column(name = "transient_attempts", nullable = false)
    private int transientAttempts;

    @Column(name = "available_at", nullable = false)
    private OffsetDateTime availableAt;

    @Column(name = "run_id")
    private Long runId;

    private Long pid;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "claimed_by")
    private String claimedBy;

    @Column(name = "finished_at")
    private OffsetDateTime finishedAt;

    private String error;

    @Column(name = "idempotency_key", updatable = false)
    private String idempotencyKey;

    @Column(name = "request_hash", updatable = false)
    private String requestHash;

    /** The name of the API token that enqueued the job; null for jobs from before authentication. */
    @Column(name = "submitted_by", updatable = false)
    private String submittedBy;

    @Column(name = "cancel_requested", insertable = false)
    private boolean cancelRequested;

    @Column(name = "created_at", nullable = false, updatable = false)
    private OffsetDateTime createdAt;

    @Column(name = "updated_at", nullable = false)
    private OffsetDateTime updatedAt;

    protected Job() {
        // for JPA
    }

    /** A new queued job, available at once, owning no run, remembered under a client's Idempotency-Key (null for none). */
    public static Job enqueue(NewJob spec, OffsetDateTime now, String idempotencyKey) {
        return enqueue(spec, now, idempotencyKey, null);
    }

    /** As {@link #enqueue(NewJob, OffsetDateTime, String)}, recording who submitted it. */
    public static Job enqueue(NewJob spec, OffsetDateTime now, String idempotencyKey, String submittedBy) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(now, "now");
        Job job = new Job();
        job.agent = spec.agent();
        job.repo = spec.repo().value();
        job.payload = spec.payloadJson();
        job.priority = spec.priority();
        job.maxAttempts = spec.maxAttempts();
        job.status = JobStatus.QUEUED;
        job.availableAt = now;
        job.createdAt = now;
        job.updatedAt = now;
        job.submittedBy = submittedBy;
        if (idempotencyKey != null) {
            job.idempotencyKey = idempotencyKey;
            job.requestHash = spec.requestHash();
        }
        return job;
    }

    /**
     * As {@link #enqueue(NewJob, OffsetDateTime, String, String)}, remembered under the Idempotency-Key
     * of a whole batch: {@code requestHash} is the batch's ({@link NewJobBatch#requestHash()}), and
     * {@code idempotencyKey} the item's key derived from the batch's (ADR 0011).
     */
    public static Job enqueueInBatch(NewJob spec, OffsetDateTime now, String idempotencyKey, String requestHash,
                                     String submittedBy) {
        Job job = enqueue(spec, now, null, submittedBy);
        if (idempotencyKey != null) {
            job.idempotencyKey = idempotencyKey;
            job.requestHash = Objects.requireNonNull(requestHash, "requestHash");
        }
        return job;
    }

    /**
     * This new job as it was stored under {@code id} by an insert that wrote exactly these fields
     * (the enqueue store's), so that the answer needs no read back.
     *
     * @throws IllegalStateException if the job already has an id
     */
    public Job stored(long id) {
        if (this.id != null) {
            throw new IllegalStateException("job " + this.id + " is already stored");
        }
        Job j = new Job();
        j.id = id;
        j.agent = agent;
        j.repo = repo;
        j.payload = payload;
        j.priority = priority;
        j.status = status;
        j.attempts = attempts;
        j.maxAttempts = maxAttempts;
        j.transientAttempts = transientAttempts;
        j.availableAt = availableAt;
        j.runId = runId;
        j.pid = pid;
        j.startedAt = startedAt;
        j.claimedBy = claimedBy;
        j.finishedAt = finishedAt;
        j.error = error;
        j.idempotencyKey = idempotencyKey;
        j.requestHash = requestHash;
        j.submittedBy = submittedBy;
        j.cancelRequested = cancelRequested;
        j.createdAt = createdAt;
        j.updatedAt = updatedAt;
        return j;
    }

    /** Whether an operator may retry the job: it failed or was cancelled. */
    public boolean canRetry() {
        return status == JobStatus.FAILED || status == JobStatus.CANCELLED;
    }

    /**
     * Operator retry of a failed or cancelled job: back to queued with a fresh attempt budget and
     * no pending cancel request. The finished run's {@code run_id}, {@code pid}, {@code started_at}
     * and {@code claimed_by} are still set here (they were its history); {@link RunOwnershipListener}
     * releases them when the change is written, so that the job owns no run once it is queued.
     *
     * @throws IllegalJobTransitionException unless the job failed or was cancelled
     */
    public void retry(OffsetDateTime now) {
        if (!canRetry()) {
            throw new IllegalJobTransitionException(idOrNone(), status, JobStatus.QUEUED);
        }
        status.checkMoveTo(JobStatus.QUEUED, idOrNone());
        status = JobStatus.QUEUED;
        attempts = 0;
        transientAttempts = 0;
        cancelRequested = false;
        availableAt = now;
        finishedAt = null;
        updatedAt = now;
    }

    /**
     * Operator cancel of a queued job (a running one is cancelled by killing its run, through the
     * guarded statements).
     *
     * @throws IllegalJobTransitionException unless the job is queued
     */
    public void cancel(String reason, OffsetDateTime now) {
        if (status != JobStatus.QUEUED) {
            throw new IllegalJobTransitionException(idOrNone(), status, JobStatus.CANCELLED);
        }
        status.checkMoveTo(JobStatus.CANCELLED, idOrNone());
        status = JobStatus.CANCELLED;
        finishedAt = now;
        error = reason;
        updatedAt = now;
    }

    private long idOrNone() {
        return id == null ? -1 : id;
    }

    /** True if any run-ownership column is set. */
    public boolean hasRunOwnership() {
        return runId != null || pid != null || startedAt != null || claimedBy != null;
    }

    /** Clears every run-ownership column. Package-private: only the listener uses it. */
    void releaseRunOwnership() {
        runId = null;
        pid = null;
        startedAt = null;
        claimedBy = null;
    }

    public Long id() { return id; }
    public String agent() { return agent; }
    public String repo() { return repo; }
    public String payload() { return payload; }
    public int priority() { return priority; }
    public JobStatus status() { return status; }
    public int attempts() { return attempts; }
    public int maxAttempts() { return maxAttempts; }
    public int transientAttempts() { return transientAttempts; }
    public OffsetDateTime availableAt() { return availableAt; }
    public Long runId() { return runId; }
    public Long pid() { return pid; }
    public OffsetDateTime startedAt() { return startedAt; }
    public String claimedBy() { return claimedBy; }
    public OffsetDateTime finishedAt() { return finishedAt; }
    public String error() { return error; }
    public OffsetDateTime createdAt() { return createdAt; }
    public String idempotencyKey() { return idempotencyKey; }

    public String submittedBy() { return submittedBy; }
    public String requestHash() { return requestHash; }
    public boolean cancelRequested() { return cancelRequested; }
    public OffsetDateTime updatedAt() { return updatedAt; }
}
