package dev.orchestrator.testing;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * A row of table {@code agent_runs} exactly as stored (see {@link JobRow}). Nullable columns are
 * boxed; timestamps are instants.
 */
public record RunRow(
        long id,
        long jobId,
        int attempt,
        String nodeId,
        String host,
        String bootId,
        Long pid,
        Instant processStartedAt,
        Long processStartTicks,
        Instant startedAt,
        Instant finishedAt,
        Integer exitCode,
        String outcome,
        String error,
        String logPath) {

    public static RunRow read(DataSource ds, long runId) {
        return Rows.one(ds, "SELECT * FROM agent_runs WHERE id = ?", runId, RunRow::from);
    }

    private static RunRow from(ResultSet rs) throws SQLException {
        return new RunRow(
                rs.getLong("id"),
                rs.getLong("job_id"),
                rs.getInt("attempt"),
                rs.getString("node_id"),
                rs.getString("host"),
                rs.getString("boot_id"),
                rs.getObject("pid", Long.class),
                Rows.instant(rs, "process_started_at"),
                rs.getObject("process_start_ticks", Long.class),
                Rows.instant(rs, "started_at"),
                Rows.instant(rs, "finished_at"),
                rs.getObject("exit_code", Integer.class),
                rs.getString("outcome"),
                rs.getString("error"),
                rs.getString("log_path"));
    }
}
