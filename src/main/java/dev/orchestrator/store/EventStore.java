package dev.orchestrator.store;

import dev.orchestrator.domain.event.EventPosition;
import dev.orchestrator.domain.event.JobEvent;
import dev.orchestrator.domain.event.JobEventLog;
import dev.orchestrator.store.Sql.Params;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The event feed's table ({@code job_events}, written by triggers on {@code jobs} and
 * {@code claim_pauses} in the transitions' own transactions; V7 and ADR 0013): reading it in order
 * without ever skipping an event that commits late, and pruning it.
 */
public class EventStore implements JobEventLog {
    private static final String COLUMNS = "e.tx::text AS tx, e.seq, e.at, e.type, e.job_id, e.repo, e.agent, "
            + "e.status, e.run_id, e.node, e.attempts, e.available_at, e.scope";

    /**
     * One round trip: the horizon (the oldest transaction still running; everything older has ended) and
     * the events after the position whose transactions are older than it.
     */
    static final Sql READ_NEW = Sql.of("""
            WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
            SELECT h.xmin::text AS horizon, {columns}
              FROM h LEFT JOIN LATERAL (
                   SELECT * FROM job_events e
                    WHERE (e.tx, e.seq) > (CAST(:tx AS xid8), :seq) AND e.tx < h.xmin
                    ORDER BY e.tx, e.seq
                    LIMIT :limit) e ON true
             ORDER BY e.tx, e.seq
            """.replace("{columns}", COLUMNS));

    static final Sql READ_BETWEEN = Sql.of("""
            SELECT {columns}
              FROM job_events e
             WHERE (e.tx, e.seq) > (CAST(:tx AS xid8), :seq) AND (e.tx, e.seq) <= (CAST(:up_tx AS xid8), :up_seq)
             ORDER BY e.tx, e.seq
             LIMIT :limit
            """.replace("{columns}", COLUMNS));

    static final Sql HORIZON = Sql.of("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
    static final Sql NEXT_TX = Sql.of("SELECT pg_snapshot_xmax(pg_current_snapshot())::text");
    static final Sql PRUNED = Sql.of("SELECT tx::text AS tx, seq FROM job_events_pruned");

    /**
     * Deletes the oldest events (in feed order) that are older than the cutoff, and moves the pruned mark
     * to the newest position deleted; how many were deleted.
     */
    static final Sql PRUNE = Sql.of("""
            WITH oldest AS (SELECT tx, seq, at FROM job_events ORDER BY tx, seq LIMIT :batch),
                 gone AS (DELETE FROM job_events e USING oldest o
                           WHERE e.tx = o.tx AND e.seq = o.seq AND o.at < :cutoff
                          RETURNING e.tx, e.seq),
                 newest AS (SELECT tx, seq FROM gone ORDER BY tx DESC, seq DESC LIMIT 1),
                 mark AS (UPDATE job_events_pruned p SET tx = n.tx, seq = n.seq
                            FROM newest n WHERE (n.tx, n.seq) > (p.tx, p.seq))
            SELECT count(*) FROM gone
            """);

    private final Transactions tx;

    public EventStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    @Override
    public Settled readNew(EventPosition after, int limit) {
        return tx.single(c -> {
            List<JobEvent> events = new ArrayList<>();
            String[] horizon = new String[1];
            READ_NEW.list(c, Params.of("tx", Long.toString(after.tx()), "seq", after.seq(), "limit", limit), rs -> {
                horizon[0] = rs.getString("horizon");
                if (rs.getString("tx") != null) {
                    events.add(event(rs));
                }
                return null;
            });
            return new Settled(events, new EventPosition(Long.parseLong(horizon[0]), 0));
        });
    }

    @Override
    public List<JobEvent> readBetween(EventPosition after, EventPosition upTo, int limit) {
        return tx.single(c -> READ_BETWEEN.list(c, Params.of("tx", Long.toString(after.tx()), "seq", after.seq(),
                "up_tx", Long.toString(upTo.tx()), "up_seq", upTo.seq(), "limit", limit), EventStore::event));
    }

    @Override
    public EventPosition horizon() {
        return new EventPosition(tx.single(c -> HORIZON.first(c, Params.of(), rs -> Long.parseLong(rs.getString(1))))
                .orElseThrow(), 0);
    }

    @Override
    public EventPosition pruned() {
        return tx.single(c -> PRUNED.first(c, Params.of(), rs -> new EventPosition(Long.parseLong(rs.getString("tx")),
                rs.getLong("seq")))).orElse(EventPosition.START);
    }

    @Override
    public long nextTx() {
        return tx.single(c -> NEXT_TX.first(c, Params.of(), rs -> Long.parseLong(rs.getString(1)))).orElseThrow();
    }

    /** Deletes up to {@code batch} events older than {@code cutoff}, oldest first; how many. */
    public int prune(Instant cutoff, int batch) {
        return tx.single(c -> PRUNE.first(c, Params.of("cutoff", cutoff, "batch", batch), rs -> rs.getInt(1)))
                .orElse(0);
    }

    private static JobEvent event(ResultSet rs) throws SQLException {
        return new JobEvent(new EventPosition(Long.parseLong(rs.getString("tx")), rs.getLong("seq")),
                Sql.instant(rs, "at"), rs.getString("type"), Sql.nullableLong(rs, "job_id"), rs.getString("repo"),
                rs.getString("agent"), rs.getString("status"), Sql.nullableLong(rs, "run_id"), rs.getString("node"),
                nullableInt(rs, "attempts"), Sql.instant(rs, "available_at"), rs.getString("scope"));
    }

    private static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }
}
