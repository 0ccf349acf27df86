package dev.orchestrator.api;

import dev.orchestrator.domain.audit.AuditEvent;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which audited action a request attempts (enqueue, cancel, retry, pause, resume) and its target,
 * so that a refused attempt (401, 403) can be written to the audit trail before any resource runs.
 */
final class ControlActions {
    private static final Pattern JOB_ACTION = Pattern.compile("/api/jobs/([^/]+)/(cancel|retry)/?");
    private static final Pattern QUEUE_ACTION = Pattern.compile("/api/queue/(pause|resume)/?");

    /** An attempted action and what it aims at. */
    record Attempt(String action, String target) {
    }

    private ControlActions() {
    }

    /** The action of a POST to {@code path} (below the context root), with {@code repo} its query parameter. */
    static Optional<Attempt> of(String method, String path, String repo) {
        if (!"POST".equals(method) || path == null) {
            return Optional.empty();
        }
        if (path.equals("/api/jobs") || path.equals("/api/jobs/")) {
            return Optional.of(new Attempt(AuditEvent.ENQUEUE, "/api/jobs"));
        }
        if (path.equals("/api/jobs/batch") || path.equals("/api/jobs/batch/")) {
            return Optional.of(new Attempt(AuditEvent.ENQUEUE, "/api/jobs/batch"));
        }
        Matcher m = JOB_ACTION.matcher(path);
        if (m.matches()) {
            return Optional.of(new Attempt(m.group(2), "job:" + m.group(1)));
        }
        m = QUEUE_ACTION.matcher(path);
        if (m.matches()) {
            return Optional.of(new Attempt(m.group(1), repo == null || repo.isEmpty() ? "*" : "repo:" + repo));
        }
        return Optional.empty();
    }

    /** The first value of {@code name} in a raw query string, decoded; null if absent or undecodable. */
    static String queryParameter(String query, String name) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            if (key.equals(name)) {
                try {
                    return java.net.URLDecoder.decode(eq < 0 ? "" : pair.substring(eq + 1),
                            java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
