package dev.orchestrator.domain.job;

/** A writer asked for a move the {@link JobStatus} transition table forbids. */
public class IllegalJobTransitionException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public IllegalJobTransitionException(long jobId, JobStatus from, JobStatus to) {
        super("job " + jobId + ": illegal transition " + from.db() + " -> " + to.db());
    }
}
