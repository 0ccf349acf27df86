package dev.orchestrator.service;

import java.util.List;

/**
 * A batch with bad items (400): every bad item's error, each naming the item's index and field
 * ({@code jobs[3].repo}); nothing was written. {@link #field()} is the first one's.
 */
public class InvalidBatchException extends InvalidRequestException {
    private static final long serialVersionUID = 1L;

    /** The error of item {@code index}; {@code field} is the full path, e.g. {@code jobs[3].repo}. */
    public record ItemError(int index, String field, String detail) {
        /** The error of {@code index} for one of its fields ({@code null}: the item as a whole). */
        public static ItemError of(int index, String itemField, String detail) {
            return new ItemError(index, "jobs[" + index + "]" + (itemField == null ? "" : "." + itemField), detail);
        }
    }

    private final transient List<ItemError> errors;

    public InvalidBatchException(List<ItemError> errors) {
        super(errors.get(0).field(), summary(errors));
        this.errors = List.copyOf(errors);
    }

    private static String summary(List<ItemError> errors) {
        long items = errors.stream().mapToInt(ItemError::index).distinct().count();
        return (items == 1 ? "1 job" : items + " jobs") + " of the batch " + (items == 1 ? "is" : "are")
                + " invalid; nothing was enqueued. First: " + errors.get(0).field() + ": " + errors.get(0).detail();
    }

    public List<ItemError> errors() {
        return errors;
    }
}
