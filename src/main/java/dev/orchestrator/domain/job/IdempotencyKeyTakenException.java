package dev.orchestrator.domain.job;

/**
 * A new job's idempotency key is already stored (another request with the same key committed
 * first; the unique index {@code jobs_idempotency_key} decided). Nothing was written: the caller
 * reads the earlier jobs and answers as a replay or a conflict.
 */
public class IdempotencyKeyTakenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public IdempotencyKeyTakenException(Throwable cause) {
        super("idempotency key already used", cause);
    }
}
