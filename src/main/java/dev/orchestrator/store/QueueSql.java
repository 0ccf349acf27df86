package dev.orchestrator.store;

/**
 * Every statement of the queue, in one place. Each statement that touches a running job is
 * guarded by {@code status='running'} and its run (or, before the run exists, its claim time),
 * and its caller reads the row count: 0 means "no longer ours", more than 1 is a bug.
 * Every statement that returns a job to 'queued' clears run_id, pid, started_at and claimed_by
 * in the same UPDATE.
 */
final class QueueSql {
    private QueueSql() {
    }

    /** Serialises claims cluster-wide so the running count read by the claim is exact. */
    static final long CLAIM_LOCK_KEY = 0x6F72636801L; // "orch" + 1

    static final String LOCK_CLAIMS = "SELECT pg_advisory_xact_lock(?)"; // CLAIM_LOCK_KEY

    /**
     * queued -> running for the next eligible job (priority, then age), if a slot is free. Gated jobs
     * are skipped, never waited for: not yet available (back-off), claiming paused (globally or for
     * the repo), the repo already running a job (serial gate), a dependency not done (deps gate), the
     * agent at its own limit.
     */
    static final String CLAIM_NEXT = """
            UPDATE jobs j
               SET status = 'running', run_id = NULL, pid = NULL, finished_at = NULL,
                   started_at = ?, claimed_by = ?, updated_at = ?
             WHERE j.id = (SELECT q.id FROM jobs q
                            WHERE q.status = 'queued' AND q.available_at <= ?
                              AND NOT q.cancel_requested
                              AND NOT EXISTS (SELECT 1 FROM claim_pauses p
                                               WHERE p.scope = '*' OR p.scope = 'repo:' || q.repo)
                              AND (NOT ? OR NOT EXISTS (SELECT 1 FROM jobs r
                                                         WHERE r.status = 'running' AND r.repo = q.repo))
                              AND (NOT ? OR NOT EXISTS (SELECT 1 FROM job_dependencies d
                                                          JOIN jobs dj ON dj.id = d.depends_on
                                                         WHERE d.job_id = q.id AND dj.status <> 'done'))
                              AND q.agent <> ALL (?)
                            ORDER BY q.priority DESC, q.id
                            LIMIT 1
                            FOR UPDATE SKIP LOCKED)
               AND (SELECT count(*) FROM jobs r WHERE r.status = 'running') < ?
            RETURNING j.id, j.agent, j.repo, j.payload, j.priority, j.attempts, j.max_attempts,
                      j.transient_attempts, j.started_at, j.claimed_by
            """; // started_at(now), claimed_by(node), updated_at(now), available_at<=(now), serial gate on,
                 // deps gate on, agents at their limit (text[]), running count <(max)

    /** Running jobs per agent, for the per-agent limits (read under the claim lock). */
    static final String RUNNING_BY_AGENT = """
            SELECT agent, count(*) FROM jobs WHERE status = 'running' GROUP BY agent
            """;

    /** A run row for a claimed job; attempt = number of earlier runs + 1. */
    static final String INSERT_RUN = """
            INSERT INTO agent_runs (job_id, attempt, node_id, host, boot_id, started_at, log_path)
            VALUES (?, (SELECT count(*) + 1 FROM agent_runs WHERE job_id = ?), ?, ?, ?, ?, ?)
            RETURNING id, attempt
            """; // job_id, job_id, node_id, host, boot_id, started_at(now), log_path

    static final String SET_RUN_LOG_PATH = "UPDATE agent_runs SET log_path = ? WHERE id = ?"; // log_path, run id

    /** Attaches the run to the job, fenced by the claim (no run yet, same claim time and node). */
    static final String ATTACH_RUN = """
            UPDATE jobs SET run_id = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id IS NULL AND started_at = ? AND claimed_by = ?
            """; // run_id, updated_at(now), id, started_at(claim time), claimed_by(node)

    static final String STAMP_JOB_PID = """
            UPDATE jobs SET pid = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // pid, updated_at(now), id, run_id

    static final String STAMP_RUN_PROCESS = """
            UPDATE agent_runs SET pid = ?, process_started_at = ?, process_start_ticks = ?
             WHERE id = ? AND finished_at IS NULL
            """; // pid, process_started_at, process_start_ticks, run id

    /** running -> done. run_id, pid and started_at stay as the link to the run that did it. */
    static final String FINISH_DONE = """
            UPDATE jobs SET status = 'done', finished_at = ?, error = NULL, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // finished_at(now), updated_at(now), id, run_id

    /**
     * A failed attempt (non-zero exit, launch failure, crash): attempts+1, then requeued with
     * ownership cleared while attempts remain, else failed keeping the link to the run.
     */
    static final String FINISH_FAILED_ATTEMPT = """
            UPDATE jobs SET
                   attempts     = attempts + 1,
                   status       = CASE WHEN attempts + 1 >= max_attempts THEN 'failed' ELSE 'queued' END,
                   run_id       = CASE WHEN attempts + 1 >= max_attempts THEN run_id END,
                   pid          = CASE WHEN attempts + 1 >= max_attempts THEN pid END,
                   started_at   = CASE WHEN attempts + 1 >= max_attempts THEN started_at END,
                   claimed_by   = CASE WHEN attempts + 1 >= max_attempts THEN claimed_by END,
                   finished_at  = CASE WHEN attempts + 1 >= max_attempts THEN CAST(? AS timestamptz) END,
                   available_at = CASE WHEN attempts + 1 >= max_attempts THEN available_at
                                       ELSE CAST(? AS timestamptz) END,
                   error        = ?,
                   updated_at   = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            RETURNING status
            """; // finished_at(now), available_at(retry time), error, updated_at(now), id, run_id

    /** A transient failure: back to queued, ownership cleared, attempts not counted, back-off. */
    static final String REQUEUE_TRANSIENT = """
            UPDATE jobs SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL,
                   transient_attempts = transient_attempts + 1, available_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // available_at(now + back-off), error, updated_at(now), id, run_id

    /** A transient failure past ORCH_MAX_TRANSIENT_ATTEMPTS: the job fails, keeping the link to the run. */
    static final String FAIL_TRANSIENT_EXHAUSTED = """
            UPDATE jobs SET status = 'failed', transient_attempts = transient_attempts + 1, finished_at = ?,
                   error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // finished_at(now), error, updated_at(now), id, run_id

    /** Back to queued without counting an attempt (the node gave the run up, not the job). */
    static final String REQUEUE_UNCOUNTED = """
            UPDATE jobs SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL,
                   available_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // available_at(now), error, updated_at(now), id, run_id

    /**
     * The reaper's requeue: running -> queued with ownership cleared. Guarded by status and, when
     * given, the run; a second call on the same job loses (0 rows).
     */
    static final String REAP_TO_QUEUED = """
            WITH target AS (
                SELECT id, run_id AS old_run_id FROM jobs
                 WHERE id = ? AND status = 'running' AND (CAST(? AS bigint) IS NULL OR run_id = ?)
                 FOR UPDATE)
            UPDATE jobs j SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL,
                   available_at = ?, error = ?, updated_at = ?
              FROM target t
             WHERE j.id = t.id AND j.status = 'running'
            RETURNING t.old_run_id
            """; // id, run_id-or-null, run_id-or-null, available_at(now), error, updated_at(now)

    /**
     * The reaper's requeue of a job whose process was never stamped (spawn grace expired, or its
     * node died before the stamp): running -> queued, guarded by exactly that state. A stamp that
     * lands first (the start was only slow) makes this lose, so a live process is never orphaned.
     */
    static final String REAP_UNSTARTED_TO_QUEUED = """
            WITH target AS (
                SELECT id, run_id AS old_run_id FROM jobs
                 WHERE id = ? AND status = 'running' AND pid IS NULL
                   AND run_id IS NOT DISTINCT FROM CAST(? AS bigint)
                 FOR UPDATE)
            UPDATE jobs j SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL,
                   available_at = ?, error = ?, updated_at = ?
              FROM target t
             WHERE j.id = t.id AND j.status = 'running' AND j.pid IS NULL
            RETURNING t.old_run_id
            """; // id, run_id-or-null, available_at(now), error, updated_at(now)

    /** The reaper's fail: running -> failed, keeping the link to the run. */
    static final String REAP_TO_FAILED = """
            UPDATE jobs SET status = 'failed', finished_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND (CAST(? AS bigint) IS NULL OR run_id = ?)
            RETURNING run_id
            """; // finished_at(now), error, updated_at(now), id, run_id-or-null, run_id-or-null (run_id is kept)

    /** Closes an open run row with how it ended. Never reopens or rewrites a closed run. */
    static final String CLOSE_RUN = """
            UPDATE agent_runs SET finished_at = ?, exit_code = ?, outcome = ?, error = ?
             WHERE id = ? AND finished_at IS NULL
            """; // finished_at(now), exit_code (nullable), outcome, error, run id

    static final String FIND_IMPOSSIBLE_QUEUED = """
            SELECT id, run_id, pid, started_at, claimed_by FROM jobs
             WHERE status = 'queued'
               AND (run_id IS NOT NULL OR pid IS NOT NULL OR started_at IS NOT NULL OR claimed_by IS NOT NULL)
             ORDER BY id
            """;

    /** Heals impossible queued rows in one statement and returns what each carried. */
    static final String SANITIZE_IMPOSSIBLE_QUEUED = """
            WITH bad AS (
                SELECT id, run_id, pid, started_at, claimed_by FROM jobs
                 WHERE status = 'queued'
                   AND (run_id IS NOT NULL OR pid IS NOT NULL OR started_at IS NOT NULL OR claimed_by IS NOT NULL)
                 FOR UPDATE SKIP LOCKED)
            UPDATE jobs j SET run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL, updated_at = ?
              FROM bad
             WHERE j.id = bad.id AND j.status = 'queued'
            RETURNING bad.id, bad.run_id, bad.pid, bad.started_at, bad.claimed_by
            """; // updated_at(now)

    private static final String SELECT_RUNNING_JOBS = """
            SELECT j.id, j.agent, j.claimed_by, j.started_at, j.attempts, j.max_attempts, j.transient_attempts,
                   j.run_id, j.pid, r.boot_id, r.process_started_at, r.started_at, r.log_path, j.cancel_requested,
                   r.process_start_ticks
              FROM jobs j LEFT JOIN agent_runs r ON r.id = j.run_id
             WHERE j.status = 'running'
            """;

    static final String RUNNING_JOBS = SELECT_RUNNING_JOBS + " ORDER BY j.id";

    /**
     * The running jobs of stopped nodes other than this one, in one snapshot with the nodes' state:
     * a node that rejoined before claiming a job is never seen as stopped together with that job.
     */
    static final String RUNNING_JOBS_OF_STOPPED_NODES = SELECT_RUNNING_JOBS + """
               AND EXISTS (SELECT 1 FROM nodes n WHERE n.id = j.claimed_by AND n.stopped_at IS NOT NULL AND n.id <> ?)
             ORDER BY j.id
            """; // own id

    /**
     * The claiming node's row, share-locked for the claim's transaction: a stopped (fenced) node
     * claims nothing, and a fence waits until a claim in progress has committed.
     */
    static final String LOCK_OWN_NODE = "SELECT stopped_at IS NOT NULL FROM nodes WHERE id = ? FOR SHARE"; // id

    static final String STATUS_OF = "SELECT status FROM jobs WHERE id = ?"; // id

    // ---------------------------------------------------------------- control

    /** queued -> cancelled. */
    static final String CANCEL_QUEUED = """
            UPDATE jobs SET status = 'cancelled', finished_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'queued'
            """; // finished_at(now), error, updated_at(now), id

    /** Asks the node running the job to cancel it. */
    static final String REQUEST_CANCEL = """
            UPDATE jobs SET cancel_requested = true, updated_at = ? WHERE id = ? AND status = 'running'
            """; // updated_at(now), id

    /** running -> cancelled, fenced by the run; keeps the link to the run. */
    static final String FINISH_CANCELLED = """
            UPDATE jobs SET status = 'cancelled', finished_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id = ?
            """; // finished_at(now), error, updated_at(now), id, run_id

    /** running -> cancelled for a claim that never got a run. */
    static final String CANCEL_UNSTARTED = """
            UPDATE jobs SET status = 'cancelled', finished_at = ?, error = ?, updated_at = ?
             WHERE id = ? AND status = 'running' AND run_id IS NULL
            """; // finished_at(now), error, updated_at(now), id

    /** A cancel request that met a requeue: the job is cancelled instead of claimed again. */
    static final String CANCEL_REQUESTED_QUEUED = """
            UPDATE jobs SET status = 'cancelled', finished_at = ?, error = 'cancelled by operator', updated_at = ?
             WHERE status = 'queued' AND cancel_requested
            RETURNING id
            """; // finished_at(now), updated_at(now)

    /**
     * Queued jobs with a dependency that failed or was cancelled can never run: cancel them, naming
     * the dependency. Repeated until nothing changes, so whole chains are cancelled.
     */
    static final String CANCEL_DEPENDANTS_OF_DEAD = """
            WITH dead AS (
                SELECT DISTINCT ON (q.id) q.id, dj.id AS dependency, dj.status AS dependency_status
                  FROM jobs q
                  JOIN job_dependencies d ON d.job_id = q.id
                  JOIN jobs dj ON dj.id = d.depends_on
                 WHERE q.status = 'queued' AND dj.status IN ('failed', 'cancelled')
                 ORDER BY q.id, dj.id)
            UPDATE jobs j SET status = 'cancelled', finished_at = ?, updated_at = ?,
                   error = 'dependency ' || dead.dependency || ' ended ' || dead.dependency_status
              FROM dead
             WHERE j.id = dead.id AND j.status = 'queued'
            RETURNING j.id
            """; // finished_at(now), updated_at(now)

    /** failed or cancelled -> queued, owning no run, with a fresh attempt budget. */
    static final String RETRY = """
            UPDATE jobs SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL,
                   finished_at = NULL, attempts = 0, transient_attempts = 0, cancel_requested = false,
                   available_at = ?, updated_at = ?
             WHERE id = ? AND status IN ('failed', 'cancelled')
            """; // available_at(now), updated_at(now), id

    static final String PAUSE = """
            INSERT INTO claim_pauses (scope, paused_at) VALUES (?, ?) ON CONFLICT (scope) DO NOTHING
            """; // scope, paused_at(now)

    static final String RESUME = "DELETE FROM claim_pauses WHERE scope = ?"; // scope

    static final String PAUSES = "SELECT scope FROM claim_pauses ORDER BY scope";

    /**
     * One batch of finished jobs older than the cutoff (their runs and dependency rows cascade). A
     * job stays while any job depends on it, whatever that job's state: a finished dependant can be
     * retried, and must then meet its dependency again (dependants go first, their dependencies on
     * a later pass). The outer WHERE repeats the row conditions because PostgreSQL re-checks only
     * those, not the subquery, on a row that a concurrent retry changed while the DELETE waited.
     */
    static final String PRUNE_FINISHED = """
            DELETE FROM jobs WHERE id IN (
                SELECT id FROM jobs
                 WHERE finished_at < ? AND status IN ('done', 'failed', 'cancelled')
                   AND NOT EXISTS (SELECT 1 FROM job_dependencies d WHERE d.depends_on = jobs.id)
                 ORDER BY finished_at
                 LIMIT ?)
              AND finished_at < ? AND status IN ('done', 'failed', 'cancelled')
            RETURNING id
            """; // cutoff, batch size, cutoff

    static final String STATUS_COUNTS = "SELECT status, count(*) FROM jobs GROUP BY status";

    static final String NEXT_AVAILABLE_AT = """
            SELECT min(available_at) FROM jobs WHERE status = 'queued' AND available_at > ?
            """; // now

    static final String REGISTER_NODE = """
            INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks, started_at, heartbeat_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, now())
            """; // id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks, started_at(now); heartbeat: db clock

    static final String EARLIER_NODES_ON_HOST = """
            SELECT id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks FROM nodes
             WHERE host = ? AND id <> ? AND stopped_at IS NULL
            """; // host, own id

    /** A node's heartbeat, on the database clock. 0 rows: the node was fenced (its lease was reclaimed). */
    static final String HEARTBEAT = """
            UPDATE nodes SET heartbeat_at = now() WHERE id = ? AND stopped_at IS NULL
            """; // id

    /** A fenced node that has killed its runs comes back under the same id. */
    static final String REJOIN = """
            UPDATE nodes SET stopped_at = NULL, heartbeat_at = now() WHERE id = ?
            """; // id

    /** Other nodes whose lease expired (database clock). */
    static final String EXPIRED_NODES = """
            SELECT id, host, boot_id, jvm_pid, jvm_started_at, jvm_start_ticks FROM nodes
             WHERE stopped_at IS NULL AND id <> ? AND heartbeat_at < now() - make_interval(secs => ?)
             ORDER BY id
            """; // own id, lease seconds

    /**
     * Stopped nodes (fenced, or stopped in an orderly way) that still own running jobs: nothing
     * will ever finish those runs, so whichever live node sees them takes them back.
     */
    static final String STOPPED_NODES_OWNING_RUNNING_JOBS = """
            SELECT n.id, n.host, n.boot_id, n.jvm_pid, n.jvm_started_at, n.jvm_start_ticks FROM nodes n
             WHERE n.stopped_at IS NOT NULL AND n.id <> ?
               AND EXISTS (SELECT 1 FROM jobs j WHERE j.status = 'running' AND j.claimed_by = n.id)
             ORDER BY n.id
            """; // own id

    /** Fences an expired node; exactly one reclaimer wins (row count 1). */
    static final String FENCE_EXPIRED_NODE = """
            UPDATE nodes SET stopped_at = now()
             WHERE id = ? AND stopped_at IS NULL AND heartbeat_at < now() - make_interval(secs => ?)
            """; // id, lease seconds

    static final String MARK_NODES_STOPPED = """
            UPDATE nodes SET stopped_at = ? WHERE id = ANY (?) AND stopped_at IS NULL
            """; // stopped_at(now), ids
}
