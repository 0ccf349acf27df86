package dev.orchestrator.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;

/**
 * Seeds job rows with arbitrary (possibly impossible) column values, like the predecessor's
 * {@code _seed_job} (rows are read back as {@link JobRow} and {@link RunRow}). Defaults: a queued job of agent "developer"
 * for repo "orchestrator", attempts 0 of 2, available since the epoch.
 */
public final class TestJobs {
    private final DataSource ds;

    private String agent = "developer";
    private String repo = "orchestrator";
    private String status = "queued";
    private Long runId;
    private Long pid;
    private Instant startedAt;
    private String claimedBy;
    private Instant finishedAt;
    private int attempts;
    private int maxAttempts = 2;
    private int transientAttempts;
    private int priority;
    private Instant availableAt = Instant.parse("2000-01-01T00:00:00Z");
    private String payload = "{}";

    private TestJobs(DataSource ds) {
        this.ds = ds;
    }

    public static TestJobs job(DataSource ds) {
        return new TestJobs(ds);
    }

    /** A running job claimed by {@code node} at {@code at}, no run attached yet. */
    public static TestJobs running(DataSource ds, String node, Instant at) {
        return new TestJobs(ds).status("running").claimedBy(node).startedAt(at);
    }

    public TestJobs agent(String v) { agent = v; return this; }
    public TestJobs repo(String v) { repo = v; return this; }
    public TestJobs status(String v) { status = v; return this; }
    public TestJobs runId(Long v) { runId = v; return this; }
    public TestJobs pid(Long v) { pid = v; return this; }
    public TestJobs startedAt(Instant v) { startedAt = v; return this; }
    public TestJobs claimedBy(String v) { claimedBy = v; return this; }
    public TestJobs finishedAt(Instant v) { finishedAt = v; return this; }
    public TestJobs attempts(int v) { attempts = v; return this; }
    public TestJobs maxAttempts(int v) { maxAttempts = v; return this; }
    public TestJobs transientAttempts(int v) { transientAttempts = v; return this; }
    public TestJobs priority(int v) { priority = v; return this; }
    public TestJobs availableAt(Instant v) { availableAt = v; return this; }
    public TestJobs payload(String v) { payload = v; return this; }

    /** Inserts the row and returns its id. */
    public long insert() {
        String sql = "INSERT INTO jobs (agent, repo, status, run_id, pid, started_at, claimed_by, finished_at, "
                + "attempts, max_attempts, transient_attempts, priority, available_at, payload, created_at, updated_at) "
                + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?, now(), now()) RETURNING id";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, agent);
            ps.setString(2, repo);
            ps.setString(3, status);
            ps.setObject(4, runId);
            ps.setObject(5, pid);
            ps.setObject(6, ts(startedAt));
            ps.setString(7, claimedBy);
            ps.setObject(8, ts(finishedAt));
            ps.setInt(9, attempts);
            ps.setInt(10, maxAttempts);
            ps.setInt(11, transientAttempts);
            ps.setInt(12, priority);
            ps.setObject(13, ts(availableAt));
            ps.setString(14, payload);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("seeding a job failed: " + e.getMessage(), e);
        }
    }

    public static long count(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }


    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }
}
