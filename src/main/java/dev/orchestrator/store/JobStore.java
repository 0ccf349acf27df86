package dev.orchestrator.store;

import dev.orchestrator.runfiles.RunFilesLayout;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.run.RunOutcome;
import dev.orchestrator.domain.run.RunStart;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongFunction;
import javax.sql.DataSource;

/**
 * The queue's data layer on PostgreSQL: each method is one short transaction of the guarded
 * statements in {@link QueueSql}, and every method about a running job answers whether the
 * caller still owned it. Callers pass {@code now}; nothing here reads a clock.
 */
public class JobStore {
    private final Transactions tx;

    public JobStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    // ---------------------------------------------------------------- claim and start

    /**
     * Claims the next eligible job for {@code nodeId} under {@code policy}: queued -> running,
     * run_id and pid written NULL, started_at stamped. Claims are serialised cluster-wide by an
     * advisory lock, so the running counts the gates read are exact.
     */
    public Optional<ClaimedJob> claimNext(String nodeId, Instant now, ClaimPolicy policy) {
        return tx.inTransaction(c -> {
            try (PreparedStatement lock = c.prepareStatement(QueueSql.LOCK_CLAIMS)) {
                lock.setLong(1, QueueSql.CLAIM_LOCK_KEY);
                lock.execute();
            }
            try (PreparedStatement own = c.prepareStatement(QueueSql.LOCK_OWN_NODE)) {
                own.setString(1, nodeId);
                try (ResultSet rs = own.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return Optional.empty(); // fenced: its heartbeat will find out and act
                    }
                }
            }
            List<String> saturated = new ArrayList<>();
            if (!policy.agentLimits().isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(QueueSql.RUNNING_BY_AGENT);
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Integer limit = policy.agentLimits().get(rs.getString(1));
                        if (limit != null && rs.getLong(2) >= limit) {
                            saturated.add(rs.getString(1));
                        }
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement(QueueSql.CLAIM_NEXT)) {
                ps.setObject(1, ts(now));
                ps.setString(2, nodeId);
                ps.setObject(3, ts(now));
                ps.setObject(4, ts(now));
                ps.setBoolean(5, policy.serialGate());
                ps.setBoolean(6, policy.dependencyGate());
                ps.setArray(7, c.createArrayOf("text", saturated.toArray()));
                ps.setInt(8, policy.maxConcurrency());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new ClaimedJob(rs.getLong(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getInt(5), rs.getInt(6), rs.getInt(7), rs.getInt(8),
                            instant(rs, 9), rs.getString(10)));
                }
            }
        });
    }

    /** Claims with the capacity gate only (tests of the bare queue). */
    public Optional<ClaimedJob> claimNext(String nodeId, Instant now, int maxConcurrency) {
        return claimNext(nodeId, now, ClaimPolicy.capacity(maxConcurrency));
    }

    /**
     * Creates the run row for a claimed job and attaches it (job.run_id), fenced by the claim.
     * Empty if the job is no longer this claim's (the transaction is rolled back: no run row).
     *
     * @param runDirFor where the run keeps its files, given the new run id
     */
    public Optional<RunStart> attachRun(ClaimedJob job, NodeIdentity node, Instant now, LongFunction<Path> runDirFor) {
        return tx.inTransaction(c -> {
            long runId;
            int attempt;
            try (PreparedStatement ps = c.prepareStatement(QueueSql.INSERT_RUN)) {
                ps.setLong(1, job.id());
                ps.setLong(2, job.id());
                ps.setString(3, node.id());
                ps.setString(4, node.host());
                ps.setString(5, node.bootId());
                ps.setObject(6, ts(now));
                ps.setString(7, "");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    runId = rs.getLong(1);
                    attempt = rs.getInt(2);
                }
            }
            Path runDir = runDirFor.apply(runId);
            update(c, QueueSql.SET_RUN_LOG_PATH, runDir.resolve(RunFilesLayout.LOG_FILE).toString(), runId);
            int rows = update(c, QueueSql.ATTACH_RUN, runId, ts(now), job.id(), ts(job.claimedAt()), job.claimedBy());
            if (!Ownership.fromRowCount(rows).owned()) {
                c.rollback();
                return Optional.<RunStart>empty();
            }
            return Optional.of(new RunStart(job.id(), runId, attempt, runDir));
        });
    }

    /** Records the OS process of a run once it exists. LOST: the job is no longer this run's. */
    public Ownership stampProcess(long jobId, long runId, long pid, Instant processStartedAt, Long startTicks,
                                  Instant now) {
        return tx.inTransaction(c -> {
            Ownership o = Ownership.fromRowCount(update(c, QueueSql.STAMP_JOB_PID, pid, ts(now), jobId, runId));
            update(c, QueueSql.STAMP_RUN_PROCESS, pid, ts(processStartedAt), startTicks, runId);
            return o;
        });
    }

    // ---------------------------------------------------------------- finishing a run

    /** running -> done, keeping the link to the run. */
    public Ownership finishDone(long jobId, long runId, int exitCode, Instant now) {
        return fencedFinish(runId, exitCode, RunOutcome.DONE, null, now,
                QueueSql.FINISH_DONE, ts(now), ts(now), jobId, runId);
    }

    /**
     * A failed attempt: attempts+1, then requeued cleanly (retry at {@code retryAt}) or failed when
     * out of attempts. Empty if the job was no longer this run's; else the job's new status.
     *
     * @param exitCode null when there is no exit status (launch failure, crash)
     * @param launchFailure the process never started; the run is recorded as launch_failed
     */
    public Optional<JobStatus> finishFailedAttempt(long jobId, long runId, Integer exitCode, boolean launchFailure,
                                                   String error, Instant now, Instant retryAt) {
        return tx.inTransaction(c -> {
            String status = null;
            int rows = 0;
            try (PreparedStatement ps = c.prepareStatement(QueueSql.FINISH_FAILED_ATTEMPT)) {
                bind(ps, ts(now), ts(retryAt), error, ts(now), jobId, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        status = rs.getString(1);
                        rows++;
                    }
                }
            }
            if (!Ownership.fromRowCount(rows).owned()) {
                closeRun(c, runId, now, exitCode, RunOutcome.SUPERSEDED, error);
                return Optional.<JobStatus>empty();
            }
            JobStatus next = JobStatus.fromDb(status);
            RunOutcome outcome = launchFailure ? RunOutcome.LAUNCH_FAILED
                    : next == JobStatus.FAILED ? RunOutcome.FAILED : RunOutcome.RETRIED;
            closeRun(c, runId, now, exitCode, outcome, error);
            return Optional.of(next);
        });
    }

    /** A transient failure: requeued with back-off until {@code availableAt}; attempts not counted. */
    public Ownership requeueTransient(long jobId, long runId, int exitCode, String error, Instant availableAt,
                                      Instant now) {
        return fencedFinish(runId, exitCode, RunOutcome.TRANSIENT, error, now,
                QueueSql.REQUEUE_TRANSIENT, ts(availableAt), error, ts(now), jobId, runId);
    }

    /** A transient failure with no transient attempts left: the job fails. */
    public Ownership failTransientExhausted(long jobId, long runId, int exitCode, String error, Instant now) {
        return fencedFinish(runId, exitCode, RunOutcome.FAILED, error, now,
                QueueSql.FAIL_TRANSIENT_EXHAUSTED, ts(now), error, ts(now), jobId, runId);
    }

    /** Requeued without counting an attempt: this node gave the run up (orderly shutdown). */
    public Ownership requeueAbandoned(long jobId, long runId, Integer exitCode, String error, Instant now) {
        return fencedFinish(runId, exitCode, RunOutcome.ABANDONED, error, now,
                QueueSql.REQUEUE_UNCOUNTED, ts(now), error, ts(now), jobId, runId);
    }

    // ---------------------------------------------------------------- reaper and recovery

    /**
     * The reaper's requeue: running -> queued with ownership cleared. With {@code runId} the job must
     * still be that run's. False if the job was not running (a second call loses).
     */
    public boolean reapToQueued(long jobId, Long runId, String error, Instant now) {
        return reap(QueueSql.REAP_TO_QUEUED, RunOutcome.ABANDONED, error, now,
                jobId, runId, runId, ts(now), error, ts(now));
    }

    /**
     * Requeues a job whose process was never stamped, only while that is still so: false once a
     * pid is stamped, the run changed or the job left running.
     */
    public boolean reapUnstartedToQueued(long jobId, Long runId, String error, Instant now) {
        return reap(QueueSql.REAP_UNSTARTED_TO_QUEUED, RunOutcome.ABANDONED, error, now,
                jobId, runId, ts(now), error, ts(now));
    }

    /** The reaper's fail: running -> failed, keeping the link to the run. */
    public boolean reapToFailed(long jobId, Long runId, String error, Instant now) {
        return reap(QueueSql.REAP_TO_FAILED, RunOutcome.FAILED, error, now,
                ts(now), error, ts(now), jobId, runId, runId);
    }

    /** Runs a reap statement (RETURNING the job's run id) and closes that run if the reap won. */
    private boolean reap(String sql, RunOutcome runOutcome, String error, Instant now, Object... params) {
        return tx.inTransaction(c -> {
            List<Long> oldRuns = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, params);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        oldRuns.add(nullableLong(rs, 1));
                    }
                }
            }
            boolean won = Ownership.fromRowCount(oldRuns.size()).owned();
            if (won && oldRuns.get(0) != null) {
                closeRun(c, oldRuns.get(0), now, null, runOutcome, error);
            }
            return won;
        });
    }

    /** Queued rows that carry run ownership (should be none: the CHECK constraint forbids them). */
    public List<ImpossibleQueuedJob> findImpossibleQueued() {
        return tx.inTransaction(c -> readImpossible(c, QueueSql.FIND_IMPOSSIBLE_QUEUED, null));
    }

    /** Heals every impossible queued row in one statement; returns what each carried. */
    public List<ImpossibleQueuedJob> sanitizeImpossibleQueued(Instant now) {
        return tx.inTransaction(c -> readImpossible(c, QueueSql.SANITIZE_IMPOSSIBLE_QUEUED, now));
    }

    public List<RunningJob> runningJobs() {
        return runningJobs(QueueSql.RUNNING_JOBS);
    }

    /** The running jobs of stopped nodes other than {@code selfId} (one snapshot with the nodes). */
    public List<RunningJob> runningJobsOfStoppedNodes(String selfId) {
        return runningJobs(QueueSql.RUNNING_JOBS_OF_STOPPED_NODES, selfId);
    }

    private List<RunningJob> runningJobs(String sql, Object... params) {
        return tx.inTransaction(c -> {
            List<RunningJob> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, params);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String log = rs.getString(13);
                        Path runDir = log == null || log.isEmpty() ? null : Path.of(log).getParent();
                        out.add(new RunningJob(rs.getLong(1), rs.getString(2), rs.getString(3), instant(rs, 4),
                                rs.getInt(5), rs.getInt(6), rs.getInt(7), nullableLong(rs, 8), nullableLong(rs, 9),
                                rs.getString(10), instant(rs, 11), instant(rs, 12), runDir, rs.getBoolean(14),
                                nullableLong(rs, 15)));
                    }
                }
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- control

    /** queued -> cancelled; false if the job was not queued. */
    public boolean cancelQueued(long jobId, String reason, Instant now) {
        return tx.inTransaction(c -> Ownership.fromRowCount(
                update(c, QueueSql.CANCEL_QUEUED, ts(now), reason, ts(now), jobId)).owned());
    }

    /** Flags a running job for cancellation by the node that runs it; false if it was not running. */
    public boolean requestCancel(long jobId, Instant now) {
        return tx.inTransaction(c -> Ownership.fromRowCount(
                update(c, QueueSql.REQUEST_CANCEL, ts(now), jobId)).owned());
    }

    /** running -> cancelled, fenced by the run (or, with no run yet, by its absence). */
    public Ownership finishCancelled(long jobId, Long runId, Integer exitCode, String reason, Instant now) {
        if (runId == null) {
            return tx.inTransaction(c -> Ownership.fromRowCount(
                    update(c, QueueSql.CANCEL_UNSTARTED, ts(now), reason, ts(now), jobId)));
        }
        return fencedFinish(runId, exitCode, RunOutcome.CANCELLED, reason, now,
                QueueSql.FINISH_CANCELLED, ts(now), reason, ts(now), jobId, runId);
    }

    /**
     * Cancels queued jobs that can never run: a cancel request met a requeue, or a dependency
     * failed or was cancelled (repeated until whole chains are done). Returns the ids cancelled.
     */
    public List<Long> cancelDoomedQueued(Instant now) {
        return tx.inTransaction(c -> {
            List<Long> cancelled = new ArrayList<>(longs(c, QueueSql.CANCEL_REQUESTED_QUEUED, ts(now), ts(now)));
            List<Long> round;
            do {
                round = longs(c, QueueSql.CANCEL_DEPENDANTS_OF_DEAD, ts(now), ts(now));
                cancelled.addAll(round);
            } while (!round.isEmpty());
            return cancelled;
        });
    }

    /** failed or cancelled -> queued with a fresh attempt budget; false otherwise. */
    public boolean retry(long jobId, Instant now) {
        return tx.inTransaction(c -> Ownership.fromRowCount(update(c, QueueSql.RETRY, ts(now), ts(now), jobId))
                .owned());
    }

    /** Pauses claiming for {@code scope} ('*' or 'repo:NAME'); idempotent. */
    public void pause(String scope, Instant now) {
        tx.inTransaction(c -> update(c, QueueSql.PAUSE, scope, ts(now)));
    }

    public void resume(String scope) {
        tx.inTransaction(c -> update(c, QueueSql.RESUME, scope));
    }

    public List<String> pauses() {
        return tx.inTransaction(c -> {
            List<String> scopes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(QueueSql.PAUSES); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    scopes.add(rs.getString(1));
                }
            }
            return scopes;
        });
    }

    /** Deletes up to {@code batch} finished jobs older than {@code cutoff}; returns their ids. */
    public List<Long> pruneFinished(Instant cutoff, int batch) {
        return tx.inTransaction(c -> longs(c, QueueSql.PRUNE_FINISHED, ts(cutoff), batch, ts(cutoff)));
    }

    private static List<Long> longs(Connection c, String sql, Object... params) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- overview

    /** Job counts by status, every status present (0 when none). */
    public Map<JobStatus, Long> statusCounts() {
        return tx.inTransaction(c -> {
            Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
            for (JobStatus s : JobStatus.values()) {
                counts.put(s, 0L);
            }
            try (PreparedStatement ps = c.prepareStatement(QueueSql.STATUS_COUNTS);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(JobStatus.fromDb(rs.getString(1)), rs.getLong(2));
                }
            }
            return counts;
        });
    }

    /** The job's status word, or null if there is no such job. */
    public String statusOf(long jobId) {
        return tx.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(QueueSql.STATUS_OF)) {
                ps.setLong(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    /** The earliest time after {@code now} at which a backed-off queued job becomes claimable. */
    public Optional<Instant> nextAvailableAt(Instant now) {
        return tx.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(QueueSql.NEXT_AVAILABLE_AT)) {
                ps.setObject(1, ts(now));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return Optional.ofNullable(instant(rs, 1));
                }
            }
        });
    }

    // ---------------------------------------------------------------- nodes

    public void registerNode(NodeIdentity node, Instant now) {
        tx.inTransaction(c -> update(c, QueueSql.REGISTER_NODE, node.id(), node.host(), node.bootId(),
                node.jvmPid(), ts(node.jvmStartedAt()), node.jvmStartTicks(), ts(now)));
    }

    /** Earlier incarnations on this node's host that never recorded a clean stop. */
    public List<NodeIdentity> earlierNodesOnHost(NodeIdentity node) {
        return nodes(QueueSql.EARLIER_NODES_ON_HOST, node.host(), node.id());
    }

    /** Stopped nodes other than {@code selfId} that still own running jobs. */
    public List<NodeIdentity> stoppedNodesOwningRunningJobs(String selfId) {
        return nodes(QueueSql.STOPPED_NODES_OWNING_RUNNING_JOBS, selfId);
    }

    private List<NodeIdentity> nodes(String sql, Object... params) {
        return tx.inTransaction(c -> {
            List<NodeIdentity> nodes = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, params);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        nodes.add(new NodeIdentity(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                                instant(rs, 5), nullableLong(rs, 6)));
                    }
                }
            }
            return nodes;
        });
    }

    /** This node's heartbeat; LOST when another node has fenced it (reclaimed its lease). */
    public Ownership heartbeat(String nodeId) {
        return tx.inTransaction(c -> Ownership.fromRowCount(update(c, QueueSql.HEARTBEAT, nodeId)));
    }

    /** Un-fences this node after it has killed the runs that were reclaimed from it. */
    public void rejoin(String nodeId) {
        tx.inTransaction(c -> update(c, QueueSql.REJOIN, nodeId));
    }

    /** Other live-looking nodes whose last heartbeat is older than {@code lease} (database clock). */
    public List<NodeIdentity> expiredNodes(String selfId, java.time.Duration lease) {
        return nodes(QueueSql.EXPIRED_NODES, selfId, (double) lease.toSeconds());
    }

    /** Marks an expired node stopped; true only for the one caller that did it. */
    public boolean fenceExpiredNode(String nodeId, java.time.Duration lease) {
        return tx.inTransaction(c -> Ownership.fromRowCount(
                update(c, QueueSql.FENCE_EXPIRED_NODE, nodeId, (double) lease.toSeconds())).owned());
    }

    public void markNodesStopped(Collection<String> nodeIds, Instant now) {
        if (nodeIds.isEmpty()) {
            return;
        }
        tx.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement(QueueSql.MARK_NODES_STOPPED)) {
                ps.setObject(1, ts(now));
                ps.setArray(2, c.createArrayOf("text", nodeIds.toArray()));
                return ps.executeUpdate();
            }
        });
    }

    // ---------------------------------------------------------------- helpers

    /**
     * One fenced transition of a running job and, in the same transaction, the closing of its run:
     * with {@code outcome} if the job was still the run's, as superseded if it was not.
     */
    private Ownership fencedFinish(long runId, Integer exitCode, RunOutcome outcome, String error, Instant now,
                                   String sql, Object... params) {
        return tx.inTransaction(c -> {
            Ownership o = Ownership.fromRowCount(update(c, sql, params));
            closeRun(c, runId, now, exitCode, o.owned() ? outcome : RunOutcome.SUPERSEDED, error);
            return o;
        });
    }

    private static void closeRun(Connection c, long runId, Instant now, Integer exitCode, RunOutcome outcome,
                                 String error) throws SQLException {
        update(c, QueueSql.CLOSE_RUN, ts(now), exitCode, outcome.db(), error, runId);
    }

    private static List<ImpossibleQueuedJob> readImpossible(Connection c, String sql, Instant now)
            throws SQLException {
        List<ImpossibleQueuedJob> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (now != null) {
                ps.setObject(1, ts(now));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ImpossibleQueuedJob(rs.getLong(1), nullableLong(rs, 2), nullableLong(rs, 3),
                            instant(rs, 4), rs.getString(5)));
                }
            }
        }
        out.sort(java.util.Comparator.comparingLong(ImpossibleQueuedJob::id));
        return out;
    }

    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        }
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        bindFrom(ps, 1, params);
    }

    private static void bindFrom(PreparedStatement ps, int first, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            int index = first + i;
            if (p == null) {
                ps.setNull(index, Types.NULL);
            } else {
                ps.setObject(index, p);
            }
        }
    }

    static OffsetDateTime ts(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
