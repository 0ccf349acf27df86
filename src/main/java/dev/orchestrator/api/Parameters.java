package dev.orchestrator.api;

import dev.orchestrator.domain.agent.RepoName;
import jakarta.ws.rs.core.Response;
import java.util.Optional;

/** The checks of path and query parameters that every resource shares; each bad value is a problem document. */
final class Parameters {
    private Parameters() {
    }

    /** A job id from the path: anything but a positive whole number names no job (404). */
    static long jobId(String raw) {
        return pathId(raw, "job");
    }

    /** A run id from the path (404 if it cannot name one). */
    static long runId(String raw) {
        return pathId(raw, "run");
    }

    private static long pathId(String raw, String what) {
        try {
            long v = Long.parseLong(raw);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ProblemException(Response.Status.NOT_FOUND, "no " + what + " with id '" + raw + "' (ids are "
                + "positive whole numbers)", null);
    }

    /** A positive whole number in the query (400 naming {@code field} otherwise). */
    static long positive(String raw, String field) {
        try {
            long v = Long.parseLong(raw.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ProblemException(Response.Status.BAD_REQUEST, field + " must be a positive whole number", field);
    }

    /** A byte offset (0 or more; absent or blank: 0), from the query or a header (400 naming {@code field} otherwise). */
    static long byteOffset(String raw, String field) {
        if (raw == null || raw.isBlank()) {
            return 0;
        }
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ProblemException(Response.Status.BAD_REQUEST, field + " must be a byte offset (0 or more), not '"
                + raw + "'", field);
    }

    /** An optional {@code repo} query parameter, validated as a repo name (400 otherwise). */
    static Optional<RepoName> repo(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String problem = RepoName.problem(raw);
        if (problem != null) {
            throw new ProblemException(Response.Status.BAD_REQUEST, problem, "repo");
        }
        return Optional.of(new RepoName(raw));
    }
}
