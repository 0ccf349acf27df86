package dev.orchestrator.domain.job;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The life cycle of a job. The enum holds the transition table; every writer consults it
 * (the SQL statements in {@code QueueSql} encode the same moves in their WHERE guards).
 */
public enum JobStatus {
    QUEUED,
    RUNNING,
    DONE,
    FAILED,
    CANCELLED;

    private static final Set<JobStatus> FINAL = EnumSet.of(DONE, FAILED, CANCELLED);

    /** The column value ({@code 'queued'}, ...). */
    public String db() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static JobStatus fromDb(String value) {
        return Arrays.stream(values())
                .filter(s -> s.db().equals(value))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown job status '" + value + "'"));
    }

    public boolean isFinal() {
        return FINAL.contains(this);
    }

    /** Whether a job may move from this status to {@code next}. */
    public boolean canMoveTo(JobStatus next) {
        return switch (this) {
            case QUEUED -> next == RUNNING || next == CANCELLED;
            // running -> queued is every requeue path (retry, transient back-off, reaper, recovery)
            case RUNNING -> next == QUEUED || next == DONE || next == FAILED || next == CANCELLED;
            // an operator may retry a failed or cancelled job
            case FAILED, CANCELLED -> next == QUEUED;
            case DONE -> false;
        };
    }

    /** Throws {@link IllegalJobTransitionException} unless {@link #canMoveTo(JobStatus)}. */
    public void checkMoveTo(JobStatus next, long jobId) {
        if (!canMoveTo(next)) {
            throw new IllegalJobTransitionException(jobId, this, next);
        }
    }
}
