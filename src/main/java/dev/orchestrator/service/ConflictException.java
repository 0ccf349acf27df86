package dev.orchestrator.service;

/** The request conflicts with the state of a job (409); {@code jobId} names it. */
public class ConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long jobId;

    public ConflictException(String message, long jobId) {
        super(message);
        this.jobId = jobId;
    }

    public long jobId() {
        return jobId;
    }
}
