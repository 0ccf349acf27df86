package dev.orchestrator.service;

/** The caller's token may not do this (a repo outside its scope, a global pause by a scoped token): 403. */
public class AccessDeniedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(String message) {
        super(message);
    }
}
