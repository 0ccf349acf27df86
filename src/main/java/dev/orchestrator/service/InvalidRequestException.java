package dev.orchestrator.service;

/** A client's request is invalid; {@code field} names the offending input (null for the whole body). */
public class InvalidRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
