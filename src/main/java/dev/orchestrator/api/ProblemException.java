package dev.orchestrator.api;

import jakarta.ws.rs.core.Response;

/** Ends a request with a problem document. */
public class ProblemException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Problem problem;

    public ProblemException(Response.Status status, String detail, String field) {
        super(detail);
        this.problem = Problem.of(status.getStatusCode(), status.getReasonPhrase(), detail, field);
    }

    public Problem problem() {
        return problem;
    }
}
