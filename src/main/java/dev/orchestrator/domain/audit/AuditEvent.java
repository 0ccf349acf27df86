package dev.orchestrator.domain.audit;

import dev.orchestrator.domain.access.Caller;
import java.time.Instant;

/**
 * One row of the audit trail. {@code actor} is null when no valid token was presented;
 * {@code target} is "job:ID", "repo:NAME", "*" or, for a refusal, the request's path.
 */
public record AuditEvent(Long id, Instant at, String actor, String action, String target, Result result,
                         String detail, String clientAddress) {
    /** Cut to the column limits: a refusal's text must never make its own audit row fail. */
    public AuditEvent {
        actor = cut(actor, 200);
        target = cut(target, 400);
        detail = cut(detail, 2000);
        clientAddress = cut(clientAddress, 200);
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    /** How the attempt ended. */
    public enum Result {
        DONE, IN_PROGRESS, NOT_FOUND, CONFLICT, UNAUTHENTICATED, FORBIDDEN, INVALID;

        public String db() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Result fromDb(String value) {
            return valueOf(value.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** The actions the trail records. */
    public static final String CANCEL = "cancel";
    public static final String RETRY = "retry";
    public static final String PAUSE = "pause";
    public static final String RESUME = "resume";
    public static final String ENQUEUE = "enqueue";

    public static AuditEvent of(Caller caller, Instant at, String action, String target, Result result,
                                String detail) {
        return new AuditEvent(null, at, caller.name(), action, target, result, detail, caller.address());
    }

    public static String job(long id) {
        return "job:" + id;
    }
}
