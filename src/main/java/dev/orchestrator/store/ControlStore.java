package dev.orchestrator.store;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.store.Sql.Params;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Operators' control that the guarded statements carry out (cancel requests for running jobs,
 * cancelling queued jobs that can never run, pauses), retention's deletes, and the counts and
 * status look-ups of the overview (the counts from the counter rows that triggers on {@code jobs}
 * keep, see {@link #statusCounts()}). The operator transitions of jobs that are not running (retry,
 * cancel of a queued job) are entity methods, written through JPA ({@link JpaJobRepository}).
 */
public class ControlStore {
    /** Asks the node running the job to cancel it. */
    static final Sql REQUEST_CANCEL = Sql.of("""
            UPDATE jobs SET cancel_requested = true, updated_at = :now WHERE id = :id AND status = 'running'
            """);

    /** A cancel request that met a requeue: the job is cancelled instead of claimed again. */
    static final Sql CANCEL_REQUESTED_QUEUED = Sql.of("""
            UPDATE jobs SET status = 'cancelled', finished_at = :now, error = :error, updated_at = :now
             WHERE status = 'queued' AND cancel_requested
            RETURNING id
            """);

    /**
     * Queued jobs with a dependency that failed or was cancelled can never run: cancel them, naming
     * the dependency. Repeated until nothing changes, so whole chains are cancelled.
     */
    static final Sql CANCEL_DEPENDANTS_OF_DEAD = Sql.of("""
            WITH dead AS (
                SELECT DISTINCT ON (q.id) q.id, dj.id AS dependency, dj.status AS dependency_status
                  FROM jobs q
                  JOIN job_dependencies d ON d.job_id = q.id
                  JOIN jobs dj ON dj.id = d.depends_on
                 WHERE q.status = 'queued' AND dj.status IN ('failed', 'cancelled')
                 ORDER BY q.id, dj.id)
            UPDATE jobs j SET status = 'cancelled', finished_at = :now, updated_at = :now,
                   error = 'dependency ' || dead.dependency || ' ended ' || dead.dependency_status
              FROM dead
             WHERE j.id = dead.id AND j.status = 'queued'
            RETURNING j.id
            """);

    static final Sql PAUSE = Sql.of("""
            INSERT INTO claim_pauses (scope, paused_at) VALUES (:scope, :now) ON CONFLICT (scope) DO NOTHING
            """);

    static final Sql RESUME = Sql.of("DELETE FROM claim_pauses WHERE scope = :scope");

    static final Sql PAUSES = Sql.of("SELECT scope FROM claim_pauses ORDER BY scope");

    /**
     * One batch of finished jobs older than the cutoff (their runs and dependency rows cascade). A
     * job stays while any job depends on it, whatever that job's state: a finished dependant can be
     * retried, and must then meet its dependency again (dependants go first, their dependencies on
     * a later pass). The outer WHERE repeats the row conditions because PostgreSQL re-checks only
     * those, not the subquery, on a row that a concurrent retry changed while the DELETE waited.
     */
    static final Sql PRUNE_FINISHED = Sql.of("""
            DELETE FROM jobs WHERE id IN (
                SELECT id FROM jobs
                 WHERE finished_at < :cutoff AND status IN ('done', 'failed', 'cancelled')
                   AND NOT EXISTS (SELECT 1 FROM job_dependencies d WHERE d.depends_on = jobs.id)
                 ORDER BY finished_at
                 LIMIT :batch)
              AND finished_at < :cutoff AND status IN ('done', 'failed', 'cancelled')
            RETURNING id
            """);

    /**
     * Job counts by status: the sum over the striped rows of {@code job_counts}, which the triggers
     * on {@code jobs} move in the same transaction as every write (V5, ADR 0008). O(counter rows)
     * however long the history is, and exact: each snapshot sees the counts of the rows it sees.
     */
    static final Sql STATUS_COUNTS = Sql.of("""
            SELECT coalesce(sum(queued), 0) AS queued, coalesce(sum(running), 0) AS running,
                   coalesce(sum(done), 0) AS done, coalesce(sum(failed), 0) AS failed,
                   coalesce(sum(cancelled), 0) AS cancelled
              FROM job_counts
            """);

    /** Folds the counter rows of writers that could not take a base row into slot 0; how many. */
    static final Sql COMPACT_COUNTS = Sql.of("SELECT job_counts_compact() AS folded");

    /** Running jobs per agent, cluster-wide (the partial index of running jobs by agent). */
    static final Sql RUNNING_BY_AGENT = Sql.of("""
            SELECT agent, count(*) AS running FROM jobs WHERE status = 'running' GROUP BY agent
            """);

    static final Sql STATUS_OF = Sql.of("SELECT status FROM jobs WHERE id = :id");

    static final Sql REPO_OF = Sql.of("SELECT repo FROM jobs WHERE id = :id");

    private final Transactions tx;

    public ControlStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /**
     * Flags a running job for cancellation by the node that runs it, and writes {@code audit} in the
     * same transaction; false (and nothing written) if it was not running.
     */
    public boolean requestCancel(long jobId, Instant now, AuditEvent audit) {
        return tx.inTransaction(c -> {
            boolean requested = Ownership.fromRowCount(
                    REQUEST_CANCEL.update(c, Params.of("now", now, "id", jobId))).owned();
            if (requested) {
                AuditStore.insert(c, audit);
            }
            return requested;
        });
    }

    /**
     * Cancels queued jobs that can never run: a cancel request met a requeue (ended with
     * {@code cancelReason}), or a dependency failed or was cancelled (repeated until whole chains are
     * done). Returns the ids cancelled.
     */
    public List<Long> cancelDoomedQueued(String cancelReason, Instant now) {
        return tx.inTransaction(c -> {
            List<Long> cancelled = new ArrayList<>(CANCEL_REQUESTED_QUEUED.list(c,
                    Params.of("now", now, "error", cancelReason), rs -> rs.getLong("id")));
            List<Long> round;
            do {
                round = CANCEL_DEPENDANTS_OF_DEAD.list(c, Params.of("now", now), rs -> rs.getLong("id"));
                cancelled.addAll(round);
            } while (!round.isEmpty());
            return cancelled;
        });
    }

    /** Pauses claiming for {@code scope} ('*' or 'repo:NAME'), idempotent, with its audit row. */
    public void pause(String scope, Instant now, AuditEvent audit) {
        tx.inTransaction(c -> {
            PAUSE.update(c, Params.of("scope", scope, "now", now));
            return AuditStore.insert(c, audit);
        });
    }

    /** Resumes claiming for {@code scope}, idempotent, with its audit row. */
    public void resume(String scope, AuditEvent audit) {
        tx.inTransaction(c -> {
            RESUME.update(c, Params.of("scope", scope));
            return AuditStore.insert(c, audit);
        });
    }

    public List<String> pauses() {
        return tx.inTransaction(c -> PAUSES.list(c, Params.of(), rs -> rs.getString("scope")));
    }

    /** Deletes up to {@code batch} finished jobs older than {@code cutoff}; returns their ids. */
    public List<Long> pruneFinished(Instant cutoff, int batch) {
        return tx.inTransaction(c -> PRUNE_FINISHED.list(c, Params.of("cutoff", cutoff, "batch", batch),
                rs -> rs.getLong("id")));
    }

    /** Jobs finished per minute since a time, by final status (the index on finished_at). */
    static final Sql FINISHED_PER_MINUTE = Sql.of("""
            SELECT date_trunc('minute', finished_at) AS minute,
                   count(*) FILTER (WHERE status = 'done') AS done,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'cancelled') AS cancelled
              FROM jobs
             WHERE finished_at >= :since
             GROUP BY 1
             ORDER BY 1
            """);

    /** Minutes with finished jobs since {@code since}, oldest first (minutes without any are absent). */
    public List<dev.orchestrator.domain.job.FinishedMinute> finishedPerMinute(Instant since) {
        return tx.single(c -> FINISHED_PER_MINUTE.list(c, Params.of("since", since), rs ->
                new dev.orchestrator.domain.job.FinishedMinute(Sql.instant(rs, "minute"), rs.getLong("done"),
                        rs.getLong("failed"), rs.getLong("cancelled"))));
    }

    /** Job counts by status, cluster-wide, every status present (0 when none); cheap at any history. */
    public Map<JobStatus, Long> statusCounts() {
        return tx.inTransaction(c -> STATUS_COUNTS.first(c, Params.of(), rs -> {
            Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
            for (JobStatus s : JobStatus.values()) {
                counts.put(s, rs.getLong(s.db()));
            }
            return counts;
        })).orElseThrow();
    }

    /**
     * Folds the extra counter rows (written by transactions that found every base row taken, or ran
     * above READ COMMITTED) into the base rows, keeping every total; returns how many were folded.
     */
    public long compactCounts() {
        return tx.inTransaction(c -> COMPACT_COUNTS.first(c, Params.of(), rs -> rs.getLong("folded"))).orElseThrow();
    }

    /** Running jobs per agent, cluster-wide; agents with none are absent. */
    public Map<String, Long> runningByAgent() {
        Map<String, Long> running = new java.util.TreeMap<>();
        tx.inTransaction(c -> RUNNING_BY_AGENT.list(c, Params.of(),
                rs -> running.put(rs.getString("agent"), rs.getLong("running"))));
        return running;
    }

    /** The job's status, or empty if there is no such job. */
    public Optional<JobStatus> statusOf(long jobId) {
        return tx.inTransaction(c -> STATUS_OF.first(c, Params.of("id", jobId),
                rs -> JobStatus.fromDb(rs.getString("status"))));
    }

    /** The job's repo, or empty if there is no such job. */
    public Optional<String> repoOf(long jobId) {
        return tx.inTransaction(c -> REPO_OF.first(c, Params.of("id", jobId), rs -> rs.getString("repo")));
    }
}
