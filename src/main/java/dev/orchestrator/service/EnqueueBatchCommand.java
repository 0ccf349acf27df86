package dev.orchestrator.service;

import java.util.List;

/**
 * A batch enqueue request as parsed from JSON: one command per item, in order, and the errors the
 * parser already found in items (an item with such an error is null in {@code jobs}), so that the
 * answer lists every bad item at once.
 */
public record EnqueueBatchCommand(List<EnqueueCommand> jobs, List<InvalidBatchException.ItemError> errors) {
    public EnqueueBatchCommand {
        jobs = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(jobs));
        errors = List.copyOf(errors);
    }
}
