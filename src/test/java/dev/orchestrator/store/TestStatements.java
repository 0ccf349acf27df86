package dev.orchestrator.store;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.run.RunOutcome;
import dev.orchestrator.store.Sql.Params;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Statements only the tests use: the predecessor's reaper transitions that its ported regression
 * tests call ({@code reap_running_job}), the look-up of impossible queued rows, and a claim policy
 * with the capacity gate only. Guarded exactly like the production statements, so the ported tests
 * still prove what the predecessor's did.
 */
public final class TestStatements {
    /**
     * The predecessor's reaper requeue: running -> queued with ownership cleared. Guarded by status
     * and, when given, the run; a second call on the same job loses (0 rows).
     */
    static final Sql REAP_TO_QUEUED = Sql.of("""
            WITH target AS (
                SELECT id, run_id AS old_run_id FROM jobs
                 WHERE id = :id AND status = 'running' AND (CAST(:run_id AS bigint) IS NULL OR run_id = :run_id)
                 FOR UPDATE)
            UPDATE jobs j SET status = 'queued', {ownership_cleared},
                   available_at = :now, error = :error, updated_at = :now
              FROM target t
             WHERE j.id = t.id AND j.status = 'running'
            RETURNING t.old_run_id
            """);

    /** The predecessor's reaper fail: running -> failed, keeping the link to the run. */
    static final Sql REAP_TO_FAILED = Sql.of("""
            UPDATE jobs SET status = 'failed', finished_at = :now, error = :error, updated_at = :now
             WHERE id = :id AND status = 'running' AND (CAST(:run_id AS bigint) IS NULL OR run_id = :run_id)
            RETURNING run_id AS old_run_id
            """);

    static final Sql FIND_IMPOSSIBLE_QUEUED = Sql.of("""
            SELECT id, run_id, pid, started_at, claimed_by FROM jobs
             WHERE status = 'queued'
               AND (run_id IS NOT NULL OR pid IS NOT NULL OR started_at IS NOT NULL OR claimed_by IS NOT NULL)
             ORDER BY id
            """);

    /** Queued jobs that no claim_lanes row covers (ADR 0009): a claim could never find them. */
    static final Sql UNCOVERED_QUEUED = Sql.of("""
            SELECT q.id FROM jobs q
             WHERE q.status = 'queued' AND NOT q.cancel_requested
               AND NOT EXISTS (SELECT 1 FROM claim_lanes o
                                WHERE o.repo = q.repo AND o.agent = q.agent AND o.waiting = (q.deps_pending > 0)
                                  AND (-o.priority::bigint, o.job_id) <= (-q.priority::bigint, q.id))
             ORDER BY q.id
            """);

    /** Jobs whose deps_pending is not the number of their dependencies that are not done. */
    static final Sql WRONG_DEPS_PENDING = Sql.of("""
            SELECT q.id FROM jobs q
             WHERE q.deps_pending <> (SELECT count(*) FROM job_dependencies d JOIN jobs dj ON dj.id = d.depends_on
                                       WHERE d.job_id = q.id AND dj.status <> 'done')
             ORDER BY q.id
            """);

    /**
     * The reference for the claim: the best queued job {@code {claimable}} admits, found the way the
     * claim did before V6 (every queued job in claim order, filtered), without taking it.
     */
    static final Sql BEST_CLAIMABLE = Sql.of("""
            SELECT q.id FROM jobs q
             WHERE q.status = 'queued' AND {claimable}
             ORDER BY q.priority DESC, q.id
             LIMIT 1
            """);

    private TestStatements() {
    }

    /** The claim's helper structures are exact: every queued job covered, every count right. */
    public static void assertClaimBookkeepingExact(DataSource ds, String context) {
        List<Long> uncovered = new Transactions(ds).inTransaction(c -> UNCOVERED_QUEUED.list(c, Params.of(), rs -> rs.getLong("id")));
        List<Long> wrong = new Transactions(ds).inTransaction(c -> WRONG_DEPS_PENDING.list(c, Params.of(), rs -> rs.getLong("id")));
        org.assertj.core.api.Assertions.assertThat(uncovered).as(context + ": queued jobs no lane row covers").isEmpty();
        org.assertj.core.api.Assertions.assertThat(wrong).as(context + ": jobs with a wrong deps_pending").isEmpty();
    }

    /** The best job {@code {claimable}} admits under {@code policy} at {@code now}, if any. */
    public static java.util.Optional<Long> bestClaimable(DataSource ds, ClaimPolicy policy, Instant now) {
        return new Transactions(ds).inTransaction(c -> {
            java.util.Set<String> saturated = new java.util.TreeSet<>();
            ClaimStore.RUNNING_BY_AGENT.list(c, Params.of(), rs -> {
                Integer limit = policy.agentLimits().get(rs.getString("agent"));
                if (limit != null && rs.getLong("running") >= limit) {
                    saturated.add(rs.getString("agent"));
                }
                return null;
            });
            return BEST_CLAIMABLE.first(c, Params.of("now", now, "serial_gate", policy.serialGate(), "deps_gate",
                    policy.dependencyGate(), "saturated_agents", new Sql.TextArray(saturated)), rs -> rs.getLong("id"));
        });
    }

    /** Capacity only: every other gate off. */
    public static ClaimPolicy capacityOnly(int maxConcurrency) {
        return new ClaimPolicy(maxConcurrency, false, false, Map.of());
    }

    /** {@code REAP_TO_QUEUED}; with {@code runId} the job must still be that run's. False if it lost. */
    public static boolean reapToQueued(DataSource ds, long jobId, Long runId, String error, Instant now) {
        return reap(ds, REAP_TO_QUEUED, RunOutcome.ABANDONED, jobId, runId, error, now);
    }

    /** {@code REAP_TO_FAILED}, keeping the link to the run. */
    public static boolean reapToFailed(DataSource ds, long jobId, Long runId, String error, Instant now) {
        return reap(ds, REAP_TO_FAILED, RunOutcome.FAILED, jobId, runId, error, now);
    }

    private static boolean reap(DataSource ds, Sql sql, RunOutcome outcome, long jobId, Long runId, String error,
                                Instant now) {
        return new Transactions(ds).inTransaction(c -> {
            List<Long> oldRuns = sql.list(c, Params.of("id", jobId, "run_id", runId, "now", now, "error", error),
                    rs -> Sql.nullableLong(rs, "old_run_id"));
            boolean won = Ownership.fromRowCount(oldRuns.size()).owned();
            if (won && oldRuns.get(0) != null) {
                FinishStore.closeRun(c, oldRuns.get(0), now, null, outcome, error);
            }
            return won;
        });
    }

    /** Queued rows that carry run ownership (should be none: the CHECK constraint forbids them). */
    public static List<ImpossibleQueuedJob> findImpossibleQueued(DataSource ds) {
        return new Transactions(ds).inTransaction(c -> FIND_IMPOSSIBLE_QUEUED.list(c, Params.of(),
                FinishStore::impossible));
    }
}
