package dev.orchestrator.testing;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.audit.AuditEvent;
import java.time.Instant;

/** Callers and audit events for tests that act as an operator. */
public final class Actors {
    /** Every role, every repo. */
    public static final Caller OPERATOR = Caller.system("test-operator");

    private Actors() {
    }

    /** An audit event of {@link #OPERATOR}, for store-level calls that write one with their change. */
    public static AuditEvent event(String action, String target) {
        return AuditEvent.of(OPERATOR, Instant.now(), action, target, AuditEvent.Result.DONE, null);
    }
}
