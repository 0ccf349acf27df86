package dev.orchestrator.store;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.store.Sql.Params;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/**
 * The audit trail's table. An action's own statements write its row in their transaction
 * ({@link #insert(Connection, AuditEvent)}, used by {@link ControlStore} and
 * {@link JpaJobRepository}); refusals and look-ups that changed nothing are written on their own.
 */
public class AuditStore {
    static final Sql INSERT = Sql.of("""
            INSERT INTO audit_events (at, actor, action, target, result, detail, client_address)
            VALUES (:at, :actor, :action, :target, :result, :detail, :client_address)
            """);

    /** Newest first, by id, each filter optional (a NULL filter matches everything). */
    static final Sql PAGE = Sql.of("""
            SELECT id, at, actor, action, target, result, detail, client_address
              FROM audit_events
             WHERE (CAST(:before AS bigint) IS NULL OR id < :before)
               AND (CAST(:actor AS text) IS NULL OR actor = :actor)
               AND (CAST(:action AS text) IS NULL OR action = :action)
               AND (CAST(:target AS text) IS NULL OR target = :target)
               AND (CAST(:result AS text) IS NULL OR result = :result)
               AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
             ORDER BY id DESC
             LIMIT :limit
            """);

    static final Sql PRUNE = Sql.of("""
            DELETE FROM audit_events WHERE id IN (
                SELECT id FROM audit_events WHERE at < :cutoff ORDER BY at LIMIT :batch)
            """);

    /** Filters of the listing; null fields do not filter. */
    public record Filter(String actor, String action, String target, String result, Instant since) {
    }

    private final Transactions tx;

    public AuditStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /** Writes one event in a transaction of its own. */
    public void record(AuditEvent event) {
        tx.inTransaction(c -> insert(c, event));
    }

    static int insert(Connection c, AuditEvent e) throws SQLException {
        return INSERT.update(c, params(e));
    }

    static Params params(AuditEvent e) {
        return Params.of("at", e.at(), "actor", e.actor(), "action", e.action(), "target", e.target(),
                "result", e.result().db(), "detail", e.detail(), "client_address", e.clientAddress());
    }

    /** Up to {@code limit} events with ids below {@code before} (null: from the newest), newest first. */
    public List<AuditEvent> page(Filter f, Long before, int limit) {
        return tx.inTransaction(c -> PAGE.list(c, Params.of("before", before, "actor", f.actor(), "action",
                f.action(), "target", f.target(), "result", f.result(), "since", f.since(), "limit", limit),
                rs -> new AuditEvent(rs.getLong("id"), Sql.instant(rs, "at"), rs.getString("actor"),
                        rs.getString("action"), rs.getString("target"),
                        AuditEvent.Result.fromDb(rs.getString("result")), rs.getString("detail"),
                        rs.getString("client_address"))));
    }

    /** Deletes up to {@code batch} events older than {@code cutoff}; how many. */
    public int prune(Instant cutoff, int batch) {
        return tx.inTransaction(c -> PRUNE.update(c, Params.of("cutoff", cutoff, "batch", batch)));
    }
}
