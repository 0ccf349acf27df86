package dev.orchestrator.testing;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * A row of table {@code jobs} exactly as stored, read behind the application's back so that tests
 * assert what the database holds, not what the code under test believes. Nullable columns are
 * boxed; timestamps are instants.
 */
public record JobRow(
        long id,
        String agent,
        String repo,
        String payload,
        int priority,
        String status,
        int attempts,
        int maxAttempts,
        int transientAttempts,
        Instant availableAt,
        Long runId,
        Long pid,
        Instant startedAt,
        String claimedBy,
        Instant finishedAt,
        String error,
        String idempotencyKey,
        String requestHash,
        boolean cancelRequested,
        Instant createdAt,
        Instant updatedAt) {

    public static JobRow read(DataSource ds, long id) {
        return Rows.one(ds, "SELECT * FROM jobs WHERE id = ?", id, JobRow::from);
    }

    private static JobRow from(ResultSet rs) throws SQLException {
        return new JobRow(
                rs.getLong("id"),
                rs.getString("agent"),
                rs.getString("repo"),
                rs.getString("payload"),
                rs.getInt("priority"),
                rs.getString("status"),
                rs.getInt("attempts"),
                rs.getInt("max_attempts"),
                rs.getInt("transient_attempts"),
                Rows.instant(rs, "available_at"),
                rs.getObject("run_id", Long.class),
                rs.getObject("pid", Long.class),
                Rows.instant(rs, "started_at"),
                rs.getString("claimed_by"),
                Rows.instant(rs, "finished_at"),
                rs.getString("error"),
                rs.getString("idempotency_key"),
                rs.getString("request_hash"),
                rs.getBoolean("cancel_requested"),
                Rows.instant(rs, "created_at"),
                Rows.instant(rs, "updated_at"));
    }
}
