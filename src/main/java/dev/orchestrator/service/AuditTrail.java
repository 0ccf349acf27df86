package dev.orchestrator.service;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.store.AuditStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * The audit trail for clients: refused attempts written as they happen (actions that change
 * something write their own rows, in their own transaction: see {@link JobControl}), and pages of
 * the trail, newest first.
 */
public final class AuditTrail {
    public static final int MAX_PAGE = 500;
    static final Set<String> RESULTS = Set.of("done", "in_progress", "not_found", "conflict", "unauthenticated",
            "forbidden", "invalid");

    /** Filters; null fields do not filter. */
    public record Filter(String actor, String action, String target, String result, Instant since) {
    }

    /** A page; {@code nextCursor} is null on the last one. */
    public record Page(List<AuditEvent> events, Long nextCursor) {
    }

    private final AuditStore store;
    private final Clock clock;

    public AuditTrail(AuditStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A refused attempt (no valid token: {@code actor} null; or a missing role), in its own transaction. */
    public void refused(String actor, String action, String target, AuditEvent.Result result, String detail,
                        String clientAddress) {
        store.record(new AuditEvent(null, clock.instant(), actor, action, target, result, detail, clientAddress));
    }

    public Page page(Filter f, Long cursor, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new InvalidRequestException("limit", "limit must be between 1 and " + MAX_PAGE);
        }
        if (f.result() != null && !RESULTS.contains(f.result())) {
            throw new InvalidRequestException("result", "result must be one of " + new java.util.TreeSet<>(RESULTS));
        }
        List<AuditEvent> rows = store.page(new AuditStore.Filter(f.actor(), f.action(), f.target(), f.result(),
                f.since()), cursor, limit + 1);
        boolean more = rows.size() > limit;
        List<AuditEvent> shown = more ? rows.subList(0, limit) : rows;
        return new Page(shown, more ? shown.get(shown.size() - 1).id() : null);
    }
}
