package dev.orchestrator.domain.job;

import java.util.List;

/**
 * A new job names dependencies that do not exist (any more) when it is written: retention pruned
 * one between the request's validation and its insert. Nothing is written.
 */
public class UnknownDependencyException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<Long> ids;

    public UnknownDependencyException(List<Long> ids) {
        super("unknown dependencies " + ids);
        this.ids = List.copyOf(ids);
    }

    public List<Long> ids() {
        return ids;
    }
}
