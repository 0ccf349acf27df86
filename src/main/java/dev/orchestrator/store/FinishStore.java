package dev.orchestrator.store;

import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.run.RunOutcome;
import dev.orchestrator.store.Sql.Params;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Finishes and requeues: every transition out of {@code running}, each fenced by the job's run
 * (or, before a run exists, by its absence) and answering whether the caller still owned the job;
 * the run row is closed in the same transaction. Also the snapshots of running jobs that the
 * reaper and recovery judge, and the sanitizer's heal of impossible queued rows.
 */
public class FinishStore {
    /** running -> done. run_id, pid and started_at stay as the link to the run that did it. */
    static final Sql FINISH_DONE = Sql.of(closingRun("""
            UPDATE jobs SET status = 'done', finished_at = :now, error = NULL, updated_at = :now
             WHERE {running_run}
            """));

    /**
     * A failed attempt (non-zero exit, launch failure, crash): attempts+1, then requeued with
     * ownership cleared while attempts remain, else failed keeping the link to the run.
     */
    static final Sql FINISH_FAILED_ATTEMPT = Sql.of("""
            UPDATE jobs SET
                   attempts     = attempts + 1,
                   status       = CASE WHEN attempts + 1 >= max_attempts THEN 'failed' ELSE 'queued' END,
                   run_id       = CASE WHEN attempts + 1 >= max_attempts THEN run_id END,
                   pid          = CASE WHEN attempts + 1 >= max_attempts THEN pid END,
                   started_at   = CASE WHEN attempts + 1 >= max_attempts THEN started_at END,
                   claimed_by   = CASE WHEN attempts + 1 >= max_attempts THEN claimed_by END,
                   finished_at  = CASE WHEN attempts + 1 >= max_attempts THEN CAST(:now AS timestamptz) END,
                   available_at = CASE WHEN attempts + 1 >= max_attempts THEN available_at
                                       ELSE CAST(:retry_at AS timestamptz) END,
                   error        = :error,
                   updated_at   = :now
             WHERE {running_run}
            RETURNING status
            """);

    /** A transient failure: back to queued, ownership cleared, attempts not counted, back-off. */
    static final Sql REQUEUE_TRANSIENT = Sql.of(closingRun("""
            UPDATE jobs SET status = 'queued', {ownership_cleared},
                   transient_attempts = transient_attempts + 1, available_at = :available_at, error = :error,
                   updated_at = :now
             WHERE {running_run}
            """));

    /** A transient failure past ORCH_MAX_TRANSIENT_ATTEMPTS: the job fails, keeping the link to the run. */
    static final Sql FAIL_TRANSIENT_EXHAUSTED = Sql.of(closingRun("""
            UPDATE jobs SET status = 'failed', transient_attempts = transient_attempts + 1, finished_at = :now,
                   error = :error, updated_at = :now
             WHERE {running_run}
            """));

    /** Back to queued without counting an attempt (the node gave the run up, not the job). */
    static final Sql REQUEUE_UNCOUNTED = Sql.of(closingRun("""
            UPDATE jobs SET status = 'queued', {ownership_cleared}, available_at = :now, error = :error,
                   updated_at = :now
             WHERE {running_run}
            """));

    /**
     * The reaper's requeue of a job whose process was never stamped (spawn grace expired, or its
     * node died before the stamp): running -> queued, guarded by exactly that state. A stamp that
     * lands first (the start was only slow) makes this lose, so a live process is never orphaned.
     */
    static final Sql REAP_UNSTARTED_TO_QUEUED = Sql.of("""
            WITH target AS (
                SELECT id, run_id AS old_run_id FROM jobs
                 WHERE id = :id AND status = 'running' AND pid IS NULL
                   AND run_id IS NOT DISTINCT FROM CAST(:run_id AS bigint)
                 FOR UPDATE)
            UPDATE jobs j SET status = 'queued', {ownership_cleared},
                   available_at = :now, error = :error, updated_at = :now
              FROM target t
             WHERE j.id = t.id AND j.status = 'running' AND j.pid IS NULL
            RETURNING t.old_run_id
            """);

    /** running -> cancelled, fenced by the run; keeps the link to the run. */
    static final Sql FINISH_CANCELLED = Sql.of(closingRun("""
            UPDATE jobs SET status = 'cancelled', finished_at = :now, error = :error, updated_at = :now
             WHERE {running_run}
            """));

    /** running -> cancelled for a claim that never got a run. */
    static final Sql CANCEL_UNSTARTED = Sql.of("""
            UPDATE jobs SET status = 'cancelled', finished_at = :now, error = :error, updated_at = :now
             WHERE id = :id AND status = 'running' AND run_id IS NULL
            """);

    /**
     * A fenced transition of a running job ({@code transition}, guarded by {@code {running_run}}) and
     * the closing of its run, in one statement: the run gets {@code :outcome} if the transition took
     * the job, else {@code superseded}; a closed run is never rewritten. {@code job_rows} is the
     * transition's row count.
     */
    static String closingRun(String transition) {
        return "WITH job AS (" + transition.strip() + " RETURNING id),\n"
                + " run AS (UPDATE agent_runs SET finished_at = :now, exit_code = :exit_code,\n"
                + "                outcome = CASE WHEN EXISTS (SELECT 1 FROM job) THEN :outcome ELSE 'superseded' END,\n"
                + "                error = :error\n"
                + "          WHERE id = :run_id AND finished_at IS NULL RETURNING id)\n"
                + "SELECT (SELECT count(*) FROM job) AS job_rows";
    }

    /** Closes an open run row with how it ended. Never reopens or rewrites a closed run. */
    static final Sql CLOSE_RUN = Sql.of("""
            UPDATE agent_runs SET finished_at = :now, exit_code = :exit_code, outcome = :outcome, error = :error
             WHERE id = :run AND finished_at IS NULL
            """);

    /** Heals impossible queued rows in one statement and returns what each carried. */
    static final Sql SANITIZE_IMPOSSIBLE_QUEUED = Sql.of("""
            WITH bad AS (
                SELECT id, run_id, pid, started_at, claimed_by FROM jobs
                 WHERE status = 'queued'
                   AND (run_id IS NOT NULL OR pid IS NOT NULL OR started_at IS NOT NULL OR claimed_by IS NOT NULL)
                 FOR UPDATE SKIP LOCKED)
            UPDATE jobs j SET {ownership_cleared}, updated_at = :now
              FROM bad
             WHERE j.id = bad.id AND j.status = 'queued'
            RETURNING bad.id, bad.run_id, bad.pid, bad.started_at, bad.claimed_by
            """);

    private static final String SELECT_RUNNING_JOBS = """
            SELECT j.id, j.agent, j.claimed_by, j.started_at AS claimed_at, j.attempts, j.max_attempts,
                   j.transient_attempts, j.run_id, j.pid, r.boot_id, r.process_started_at,
                   r.started_at AS run_started_at, r.log_path, j.cancel_requested, r.process_start_ticks
              FROM jobs j LEFT JOIN agent_runs r ON r.id = j.run_id
             WHERE j.status = 'running'
            """;

    static final Sql RUNNING_JOBS = Sql.of(SELECT_RUNNING_JOBS + " ORDER BY j.id");

    /**
     * The running jobs of stopped nodes other than this one, in one snapshot with the nodes' state:
     * a node that rejoined before claiming a job is never seen as stopped together with that job.
     */
    static final Sql RUNNING_JOBS_OF_STOPPED_NODES = Sql.of(SELECT_RUNNING_JOBS + """
               AND EXISTS (SELECT 1 FROM nodes n WHERE n.id = j.claimed_by AND n.stopped_at IS NOT NULL
                                                   AND n.id <> :self)
             ORDER BY j.id
            """);

    private final Transactions tx;

    public FinishStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /** running -> done, keeping the link to the run. */
    public Ownership finishDone(long jobId, long runId, int exitCode, Instant now) {
        return fencedFinish(FINISH_DONE, Params.of("now", now, "id", jobId, "run_id", runId),
                runId, exitCode, RunOutcome.DONE, null, now);
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
            List<String> status = FINISH_FAILED_ATTEMPT.list(c, Params.of("now", now, "retry_at", retryAt,
                    "error", error, "id", jobId, "run_id", runId), rs -> rs.getString("status"));
            if (!Ownership.fromRowCount(status.size()).owned()) {
                closeRun(c, runId, now, exitCode, RunOutcome.SUPERSEDED, error);
                return Optional.<JobStatus>empty();
            }
            JobStatus next = JobStatus.fromDb(status.get(0));
            RunOutcome outcome = launchFailure ? RunOutcome.LAUNCH_FAILED
                    : next == JobStatus.FAILED ? RunOutcome.FAILED : RunOutcome.RETRIED;
            closeRun(c, runId, now, exitCode, outcome, error);
            return Optional.of(next);
        });
    }

    /** A transient failure: requeued with back-off until {@code availableAt}; attempts not counted. */
    public Ownership requeueTransient(long jobId, long runId, int exitCode, String error, Instant availableAt,
                                      Instant now) {
        return fencedFinish(REQUEUE_TRANSIENT, Params.of("available_at", availableAt, "error", error, "now", now,
                "id", jobId, "run_id", runId), runId, exitCode, RunOutcome.TRANSIENT, error, now);
    }

    /** A transient failure with no transient attempts left: the job fails. */
    public Ownership failTransientExhausted(long jobId, long runId, int exitCode, String error, Instant now) {
        return fencedFinish(FAIL_TRANSIENT_EXHAUSTED, Params.of("now", now, "error", error, "id", jobId,
                "run_id", runId), runId, exitCode, RunOutcome.FAILED, error, now);
    }

    /** Requeued without counting an attempt: this node gave the run up (orderly shutdown). */
    public Ownership requeueAbandoned(long jobId, long runId, Integer exitCode, String error, Instant now) {
        return fencedFinish(REQUEUE_UNCOUNTED, Params.of("now", now, "error", error, "id", jobId, "run_id", runId),
                runId, exitCode, RunOutcome.ABANDONED, error, now);
    }

    /**
     * Requeues a job whose process was never stamped, only while that is still so: false once a
     * pid is stamped, the run changed or the job left running. The run, if any, is closed abandoned.
     */
    public boolean reapUnstartedToQueued(long jobId, Long runId, String error, Instant now) {
        return tx.inTransaction(c -> {
            List<Long> oldRuns = REAP_UNSTARTED_TO_QUEUED.list(c, Params.of("id", jobId, "run_id", runId, "now", now,
                    "error", error), rs -> Sql.nullableLong(rs, "old_run_id"));
            boolean won = Ownership.fromRowCount(oldRuns.size()).owned();
            if (won && oldRuns.get(0) != null) {
                closeRun(c, oldRuns.get(0), now, null, RunOutcome.ABANDONED, error);
            }
            return won;
        });
    }

    /** running -> cancelled, fenced by the run (or, with no run yet, by its absence). */
    public Ownership finishCancelled(long jobId, Long runId, Integer exitCode, String reason, Instant now) {
        if (runId == null) {
            return tx.inTransaction(c -> Ownership.fromRowCount(
                    CANCEL_UNSTARTED.update(c, Params.of("now", now, "error", reason, "id", jobId))));
        }
        return fencedFinish(FINISH_CANCELLED, Params.of("now", now, "error", reason, "id", jobId, "run_id", runId),
                runId, exitCode, RunOutcome.CANCELLED, reason, now);
    }

    /** Every running job with its current run's process, oldest id first. */
    public List<RunningJob> runningJobs() {
        return tx.inTransaction(c -> RUNNING_JOBS.list(c, Params.of(), FinishStore::runningJob));
    }

    /** The running jobs of stopped nodes other than {@code selfId} (one snapshot with the nodes). */
    public List<RunningJob> runningJobsOfStoppedNodes(String selfId) {
        return tx.inTransaction(c -> RUNNING_JOBS_OF_STOPPED_NODES.list(c, Params.of("self", selfId),
                FinishStore::runningJob));
    }

    /** Heals every impossible queued row in one statement; returns what each carried, by id. */
    public List<ImpossibleQueuedJob> sanitizeImpossibleQueued(Instant now) {
        List<ImpossibleQueuedJob> healed = tx.inTransaction(c -> SANITIZE_IMPOSSIBLE_QUEUED.list(c,
                Params.of("now", now), FinishStore::impossible));
        return healed.stream().sorted(Comparator.comparingLong(ImpossibleQueuedJob::id)).toList();
    }

    /** A queued row carrying ownership, read by column name (also for the tests' own look-ups). */
    static ImpossibleQueuedJob impossible(ResultSet rs) throws SQLException {
        return new ImpossibleQueuedJob(rs.getLong("id"), Sql.nullableLong(rs, "run_id"), Sql.nullableLong(rs, "pid"),
                Sql.instant(rs, "started_at"), rs.getString("claimed_by"));
    }

    private static RunningJob runningJob(ResultSet rs) throws SQLException {
        String log = rs.getString("log_path");
        Path runDir = log == null || log.isEmpty() ? null : Path.of(log).getParent();
        return new RunningJob(rs.getLong("id"), rs.getString("agent"), rs.getString("claimed_by"),
                Sql.instant(rs, "claimed_at"), rs.getInt("attempts"), rs.getInt("max_attempts"),
                rs.getInt("transient_attempts"), Sql.nullableLong(rs, "run_id"), Sql.nullableLong(rs, "pid"),
                rs.getString("boot_id"), Sql.instant(rs, "process_started_at"), Sql.instant(rs, "run_started_at"),
                runDir, rs.getBoolean("cancel_requested"), Sql.nullableLong(rs, "process_start_ticks"));
    }

    /**
     * One fenced transition of a running job and, in the same statement ({@link #closingRun}), the
     * closing of its run: with {@code outcome} if the job was still the run's, as superseded if it
     * was not. A single statement needs no transaction of its own: one round trip.
     */
    private Ownership fencedFinish(Sql transition, Params params, long runId, Integer exitCode, RunOutcome outcome,
                                   String error, Instant now) {
        Params all = params.with("exit_code", exitCode).with("outcome", outcome.db()).with("error", error);
        return tx.single(c -> Ownership.fromRowCount(transition.first(c, all, rs -> rs.getInt("job_rows"))
                .orElseThrow()));
    }

    static void closeRun(Connection c, long runId, Instant now, Integer exitCode, RunOutcome outcome, String error)
            throws SQLException {
        CLOSE_RUN.update(c, Params.of("now", now, "exit_code", exitCode, "outcome", outcome.db(), "error", error,
                "run", runId));
    }
}
