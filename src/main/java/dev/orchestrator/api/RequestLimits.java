package dev.orchestrator.api;

/**
 * What the HTTP layer of the application accepts, handed over by the composition root from the
 * settings: {@code maxRequestBytes} is {@code ORCH_MAX_REQUEST_BYTES}, the largest request body.
 */
public record RequestLimits(long maxRequestBytes) {
    /** The longest request target (path and query) the application reads; longer is 414. */
    public static final int MAX_URI_CHARS = 8192;
    /** The most header fields a request may carry; more is 431. */
    public static final int MAX_HEADER_FIELDS = 100;
    /** The longest single header field (name and value); longer is 431. */
    public static final int MAX_HEADER_FIELD_BYTES = 8192;
    /** All header fields together; more is 431. */
    public static final int MAX_HEADER_BYTES = 16384;

    public RequestLimits {
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("maxRequestBytes must be positive");
        }
    }
}
