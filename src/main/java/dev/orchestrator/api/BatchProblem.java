package dev.orchestrator.api;

import java.util.List;

/**
 * The problem document of a batch with bad items (400): a {@link Problem} whose {@code field} is the
 * first bad item's, with {@code errors}, one per bad item, each naming its index and field
 * ({@code jobs[3].repo}).
 */
public record BatchProblem(String type, String title, int status, String detail, String field,
                           List<ItemError> errors) {
    /** One bad item. */
    public record ItemError(int index, String field, String detail) {
    }
}
