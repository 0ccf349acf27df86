package dev.orchestrator.store;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimableJob;
import dev.orchestrator.domain.job.Gate;
import dev.orchestrator.domain.job.Hold;
import dev.orchestrator.domain.job.SlotHolder;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TypedArray;
import dev.orchestrator.store.Sql.TextArray;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import javax.sql.DataSource;

/**
 * Claims and starts: queued -> running under the gates, the run row attached to the claim, and the
 * OS process stamped once it exists. Each method is one short transaction; callers pass {@code now}.
 */
public class ClaimStore {
    /** Serialises claims cluster-wide so the running counts the gates read are exact. */
    static final long CLAIM_LOCK_KEY = 0x6F72636801L; // "orch" + 1

    /**
     * The claim lock, and generic plans for the rest of the claim's transaction. PostgreSQL plans a
     * prepared statement afresh for its first five executions and then keeps planning it whenever its
     * generic plan is estimated dearer than a custom one; behind a backlog the lane walk stayed on
     * custom plans, and planning it (1.2–1.9 ms) cost four times its execution (0.3–0.5 ms:
     * pg_stat_statements with track_planning, bench/README.md). The walk's plan does not depend on its
     * parameters (index order and LIMIT 1 at every step), so its generic plan is the one a custom plan
     * would be. {@code SET LOCAL} through {@code set_config(..., true)}: only this transaction, no
     * extra round trip; other statements on the pool keep the server's default.
     */
    static final Sql LOCK_CLAIMS = Sql.of(
            "SELECT pg_advisory_xact_lock(:key), set_config('plan_cache_mode', 'force_generic_plan', true)");

    /**
     * The claiming node's row, share-locked for the claim's transaction: a stopped (fenced) node
     * claims nothing, and a fence waits until a claim in progress has committed.
     */
    static final Sql LOCK_OWN_NODE = Sql.of("SELECT stopped_at IS NOT NULL AS fenced FROM nodes WHERE id = :node FOR SHARE");

    /** Running jobs per agent, for the per-agent limits (read under the claim lock). */
    static final Sql RUNNING_BY_AGENT = Sql.of("""
            SELECT agent, count(*) AS running FROM jobs WHERE status = 'running' GROUP BY agent
            """);

    /**
     * queued -> running for the next eligible job (priority, then age), if a slot is free. Gated jobs
     * are skipped, never waited for: not yet available (back-off), a cancel requested, claiming
     * paused (globally or for the repo), the repo already running a job (serial gate), a dependency
     * not done (deps gate), the agent at its own limit. The job taken is the best one that passes
     * {@code {claimable}}, the gates {@link #HOLDS} and {@link #GATE_COUNTS} read too.
     *
     * <p>Where it looks (ADR 0009): the queued jobs are grouped in lanes (repo, agent, waiting on a
     * dependency); {@code claim_lanes} holds, for every lane, rows at or ahead of each of its jobs in
     * claim order. The walk visits lane rows in claim order, skips a lane that {@code {lane_held}}
     * holds as one row, probes each other lane for its first claimable job, and stops as soon as the
     * next lane row cannot beat the best job found. With the dependency gate on, waiting lanes are
     * not read at all ({@code {lane_scope}}). So gated jobs cost nothing, gated lanes one row each.
     */
    /**
     * The probe of one lane (l) for its first claimable job (c), locked; the walk's first row and each
     * step after it probe the same way.
     */
    private static final String LANE_PROBE = """
            LEFT JOIN LATERAL (SELECT q.id, q.priority FROM jobs q
                                                  WHERE {in_lane} AND {claimable}
                                                  ORDER BY q.priority DESC, q.id
                                                  LIMIT 1
                                                  FOR UPDATE SKIP LOCKED) c ON true""";

    static final String CLAIM_NEXT_TEMPLATE = """
            WITH RECURSIVE walk (lane_priority, lane_job, lane_id, best_priority, best_id) AS (
                SELECT l.priority, l.job_id, l.id, c.priority, c.id
                  FROM (SELECT q.id, q.repo, q.agent, q.waiting, q.priority, q.job_id FROM claim_lanes q
                         WHERE {lane_scope} AND NOT {lane_held}
                         ORDER BY -q.priority::bigint, q.job_id, q.id
                         LIMIT 1) l
                  {lane_probe}
                UNION ALL
                SELECT l.priority, l.job_id, l.id,
                       CASE WHEN c.id IS NOT NULL AND (w.best_id IS NULL
                                 OR (-c.priority::bigint, c.id) < (-w.best_priority::bigint, w.best_id))
                            THEN c.priority ELSE w.best_priority END,
                       CASE WHEN c.id IS NOT NULL AND (w.best_id IS NULL
                                 OR (-c.priority::bigint, c.id) < (-w.best_priority::bigint, w.best_id))
                            THEN c.id ELSE w.best_id END
                  FROM walk w
                 CROSS JOIN LATERAL (SELECT q.id, q.repo, q.agent, q.waiting, q.priority, q.job_id FROM claim_lanes q
                                      WHERE {lane_scope}
                                        AND (-q.priority::bigint, q.job_id, q.id)
                                            > (-w.lane_priority::bigint, w.lane_job, w.lane_id)
                                        AND NOT {lane_held}
                                      ORDER BY -q.priority::bigint, q.job_id, q.id
                                      LIMIT 1) l
                  {lane_probe}
                 WHERE w.best_id IS NULL OR (-l.priority::bigint, l.job_id) < (-w.best_priority::bigint, w.best_id)
            )
            UPDATE jobs j
               SET status = 'running', run_id = NULL, pid = NULL, finished_at = NULL,
                   started_at = :now, claimed_by = :node, updated_at = :now
             WHERE j.id = (SELECT w.best_id FROM walk w WHERE w.best_id IS NOT NULL
                            ORDER BY -w.best_priority::bigint, w.best_id
                            LIMIT 1)
               AND NOT {capacity_full}
            RETURNING j.id, j.agent, j.repo, j.payload, j.priority, j.attempts, j.max_attempts,
                      j.transient_attempts, j.started_at, j.claimed_by, j.available_at
            """.replace("{lane_probe}", LANE_PROBE);

    /** The lanes a walk reads: with the dependency gate on, only lanes of jobs with every dependency done. */
    static final String READY_LANES = "NOT q.waiting";
    static final String ALL_LANES = "true";

    /** The claim under the dependency gate (the default). */
    static final Sql CLAIM_NEXT = Sql.of(CLAIM_NEXT_TEMPLATE.replace("{lane_scope}", READY_LANES));
    /** The claim with the dependency gate off: waiting lanes are walked too. */
    static final Sql CLAIM_NEXT_DEPS_OFF = Sql.of(CLAIM_NEXT_TEMPLATE.replace("{lane_scope}", ALL_LANES));

    /** The claim statement for a policy (the lane scope differs by the dependency gate). */
    static Sql claimNext(ClaimPolicy policy) {
        return policy.dependencyGate() ? CLAIM_NEXT : CLAIM_NEXT_DEPS_OFF;
    }

    /**
     * Compaction, part 1: lane rows the walk went through that no longer point at the head of their
     * lane (their job left the lane, or a better row of the same lane exists), up to the job just
     * claimed (all of them when none was), locked so that no writer relies on them. A row a writer
     * has locked (FOR KEY SHARE: it covers a job not yet committed) is skipped and stays.
     */
    private static final String COMPACT_PICK_TEMPLATE = """
            SELECT q.id FROM claim_lanes q
             WHERE {lane_scope}
               AND (-q.priority::bigint, q.job_id) <= (:rank, :job)
               AND NOT {lane_held}
               AND (NOT EXISTS (SELECT 1 FROM jobs j
                                 WHERE j.id = q.job_id AND j.repo = q.repo AND j.agent = q.agent
                                   AND (j.deps_pending > 0) = q.waiting AND j.priority = q.priority
                                   AND j.status = 'queued' AND NOT j.cancel_requested)
                    OR EXISTS (SELECT 1 FROM claim_lanes o
                                WHERE o.repo = q.repo AND o.agent = q.agent AND o.waiting = q.waiting
                                  AND (-o.priority::bigint, o.job_id, o.id) < (-q.priority::bigint, q.job_id, q.id)))
             ORDER BY -q.priority::bigint, q.job_id, q.id
             LIMIT :limit
             FOR UPDATE SKIP LOCKED
            """;
    static final Sql COMPACT_PICK = Sql.of(COMPACT_PICK_TEMPLATE.replace("{lane_scope}", READY_LANES));
    static final Sql COMPACT_PICK_DEPS_OFF = Sql.of(COMPACT_PICK_TEMPLATE.replace("{lane_scope}", ALL_LANES));

    /**
     * Compaction, part 2, in a statement of its own so that its snapshot is taken after the rows
     * were locked: every job that entered those lanes and committed before is seen here, and every
     * later one covers itself (its writer finds the rows gone and inserts its own). Deletes the
     * locked rows and puts back one row at the head of each of their lanes that still has jobs,
     * unless a remaining row already covers it.
     */
    static final Sql COMPACT_APPLY = Sql.of("""
            WITH gone AS (DELETE FROM claim_lanes q WHERE q.id = ANY (:ids) RETURNING q.repo, q.agent, q.waiting),
                 lanes AS (SELECT DISTINCT repo, agent, waiting FROM gone)
            INSERT INTO claim_lanes (repo, agent, waiting, priority, job_id)
            SELECT l.repo, l.agent, l.waiting, h.priority, h.id
              FROM lanes l
             CROSS JOIN LATERAL (SELECT q.priority, q.id FROM jobs q WHERE {in_lane}
                                  ORDER BY q.priority DESC, q.id
                                  LIMIT 1) h
             WHERE NOT EXISTS (SELECT 1 FROM claim_lanes o
                                WHERE o.repo = l.repo AND o.agent = l.agent AND o.waiting = l.waiting
                                  AND o.id <> ALL (:ids)
                                  AND (-o.priority::bigint, o.job_id) <= (-h.priority::bigint, h.id))
            """);

    /** At most this many stale lane rows are compacted per claim. */
    static final int COMPACT_LIMIT = 64;

    /**
     * Heal of the claim's bookkeeping, should a writer ever have bypassed the V6 triggers (triggers
     * disabled, a partial restore): queued jobs whose deps_pending counts more unfinished
     * dependencies than there are. Only lowers the count (to the truth read here), so a concurrent
     * change can at worst leave it too low, which costs the claim time, never a job.
     */
    static final Sql HEAL_DEPS_PENDING = Sql.of("""
            UPDATE jobs q SET deps_pending = t.truth
              FROM (SELECT w.id, (SELECT count(*) FROM job_dependencies d JOIN jobs dj ON dj.id = d.depends_on
                                   WHERE d.job_id = w.id AND dj.status <> 'done') AS truth
                      FROM jobs w
                     WHERE w.status = 'queued' AND w.deps_pending > 0) t
             WHERE q.id = t.id AND q.deps_pending > t.truth
            RETURNING q.id
            """);

    /**
     * Heal of the claim's bookkeeping: a lane whose head no claim_lanes row covers gets a row at its
     * head (adding a row is always safe; only removing one needs the compaction's locks).
     */
    static final Sql HEAL_LANES = Sql.of("""
            INSERT INTO claim_lanes (repo, agent, waiting, priority, job_id)
            SELECT h.repo, h.agent, h.waiting, h.priority, h.id
              FROM (SELECT DISTINCT ON (q.repo, q.agent, q.deps_pending > 0)
                           q.repo, q.agent, q.deps_pending > 0 AS waiting, q.priority, q.id
                      FROM jobs q
                     WHERE q.status = 'queued' AND NOT q.cancel_requested
                     ORDER BY q.repo, q.agent, q.deps_pending > 0, q.priority DESC, q.id) h
             WHERE NOT EXISTS (SELECT 1 FROM claim_lanes o
                                WHERE o.repo = h.repo AND o.agent = h.agent AND o.waiting = h.waiting
                                  AND (-o.priority::bigint, o.job_id) <= (-h.priority::bigint, h.id))
            RETURNING job_id
            """);

    /** Which of the claim's gates hold one job, with what holds it; no row if there is no such job. */
    static final Sql HOLDS = Sql.of("""
            SELECT q.status,
                   {held_backoff} AS backoff, q.available_at,
                   {held_cancel_requested} AS cancel_requested,
                   {held_paused} AS paused,
                   ARRAY(SELECT p.scope FROM claim_pauses p WHERE {pause_of_q} ORDER BY p.scope) AS pause_scopes,
                   {held_repo_busy} AS repo_busy,
                   ARRAY(SELECT r.id FROM jobs r WHERE {running_of_repo} ORDER BY r.id) AS repo_running,
                   {held_dependency} AS dependency,
                   ARRAY(SELECT d.depends_on FROM job_dependencies d JOIN jobs dj ON dj.id = d.depends_on
                          WHERE {dependency_not_done} ORDER BY d.depends_on) AS dependencies_not_done,
                   {held_agent_limit} AS agent_limit, q.agent,
                   {capacity_full} AS capacity_full, {running_count} AS running
              FROM jobs q
             WHERE q.id = :id
            """);

    /**
     * How many queued jobs each gate holds (a job held by two gates counts under both), and how many
     * no gate of their own holds; one pass over the queued rows (partial index jobs_claim_order).
     */
    static final Sql GATE_COUNTS = Sql.of("""
            SELECT count(*) FILTER (WHERE {held_backoff}) AS backoff,
                   count(*) FILTER (WHERE {held_cancel_requested}) AS cancel_requested,
                   count(*) FILTER (WHERE {held_paused}) AS paused,
                   count(*) FILTER (WHERE {held_repo_busy}) AS repo_busy,
                   count(*) FILTER (WHERE {held_dependency}) AS dependency,
                   count(*) FILTER (WHERE {held_agent_limit}) AS agent_limit,
                   count(*) FILTER (WHERE {claimable}) AS claimable,
                   bool_or({capacity_full}) AS capacity_full
              FROM jobs q
             WHERE q.status = 'queued'
            """);

    /**
     * Queued jobs no gate of their own holds, longest claimable first: since they became available
     * or their last dependency finished, whichever is later.
     */
    static final Sql CLAIMABLE_JOBS = Sql.of("""
            SELECT q.id, q.agent, q.repo, q.priority,
                   GREATEST(q.available_at, (SELECT max(dj.finished_at) FROM job_dependencies d
                                              JOIN jobs dj ON dj.id = d.depends_on WHERE d.job_id = q.id)) AS since
              FROM jobs q
             WHERE q.status = 'queued' AND {claimable}
             ORDER BY since, q.id
             LIMIT :limit
            """);

    /**
     * Every running job (a taken slot) with its run's process identity and whether its claiming
     * node's lease is valid (not stopped, heartbeat within the lease, on the database clock).
     */
    static final Sql SLOT_HOLDERS = Sql.of("""
            SELECT j.id, j.agent, j.repo, j.claimed_by, j.started_at AS claimed_at, j.run_id, j.pid,
                   r.boot_id, r.process_started_at, r.process_start_ticks,
                   (n.id IS NOT NULL AND n.stopped_at IS NULL
                    AND n.heartbeat_at >= now() - make_interval(secs => :lease_seconds)) AS lease_valid
              FROM jobs j
              LEFT JOIN agent_runs r ON r.id = j.run_id
              LEFT JOIN nodes n ON n.id = j.claimed_by
             WHERE j.status = 'running'
             ORDER BY j.id
            """);

    /** Run ids for runs about to be attached, taken ahead so each run's log path is known when it is inserted. */
    static final Sql NEXT_RUN_IDS = Sql.of("""
            SELECT nextval(pg_get_serial_sequence('agent_runs', 'id')) AS id FROM generate_series(1, :count)
            """);

    /**
     * Attaches a run to each of the given claimed jobs and inserts the run rows, in one statement,
     * fenced by the claim (no run yet, the same claim time and node): a job whose claim was taken
     * gets no run row. attempt = number of earlier runs of the job + 1. One row per attached run.
     */
    static final Sql ATTACH_RUNS = Sql.of("""
            WITH new_runs AS (
                SELECT * FROM unnest(CAST(:job_ids AS bigint[]), CAST(:run_ids AS bigint[]), CAST(:log_paths AS text[]))
                              AS n (job_id, run_id, log_path)),
            attached AS (
                UPDATE jobs j SET run_id = n.run_id, updated_at = :now
                  FROM new_runs n
                 WHERE j.id = n.job_id AND j.status = 'running' AND j.run_id IS NULL AND j.started_at = :claimed_at
                   AND j.claimed_by = :claimed_by
                RETURNING j.id, j.run_id)
            INSERT INTO agent_runs (id, job_id, attempt, node_id, host, boot_id, started_at, log_path)
                   OVERRIDING SYSTEM VALUE
            SELECT a.run_id, a.id, (SELECT count(*) + 1 FROM agent_runs r WHERE r.job_id = a.id),
                   :node, :host, :boot_id, :now, n.log_path
              FROM attached a JOIN new_runs n ON n.job_id = a.id
            RETURNING id, job_id, attempt
            """);

    /**
     * Records the OS process on the job (fenced by the run) and on the run, in one statement; the
     * job's row count answers whether the run still owns the job.
     */
    static final Sql STAMP_PROCESS = Sql.of("""
            WITH job AS (
                UPDATE jobs SET pid = :pid, updated_at = :now
                 WHERE {running_run}
                RETURNING id),
            run AS (
                UPDATE agent_runs SET pid = :pid, process_started_at = :process_started_at,
                       process_start_ticks = :start_ticks
                 WHERE id = :run_id AND finished_at IS NULL
                RETURNING id)
            SELECT (SELECT count(*) FROM job) AS job_rows
            """);

    static final Sql NEXT_AVAILABLE_AT = Sql.of("""
            SELECT min(available_at) AS next FROM jobs WHERE status = 'queued' AND available_at > :now
            """);

    private final Transactions tx;

    public ClaimStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /** Where a run writes its output, given its job and the new run's id. */
    @FunctionalInterface
    public interface LogFiles {
        Path of(long jobId, long runId);
    }

    /** A job claimed with its run attached in the claim's own transaction. */
    public record ClaimedRun(ClaimedJob job, RunStart run) {
    }

    /**
     * Claims the next eligible job for {@code nodeId} under {@code policy}: queued -> running,
     * run_id and pid written NULL, started_at stamped. Claims are serialised cluster-wide by an
     * advisory lock, so the running counts the gates read are exact.
     */
    public Optional<ClaimedJob> claimNext(String nodeId, Instant now, ClaimPolicy policy) {
        return tx.inTransaction(c -> {
            if (!lockForClaims(c, nodeId)) {
                return Optional.<ClaimedJob>empty(); // fenced: its heartbeat will find out and act
            }
            Attempt attempt = claimOneLocked(c, nodeId, now, policy);
            compactLanes(c, policy, attempt);
            return attempt.claimed();
        });
    }

    /**
     * Removes the stale lane rows this claim walked past (ADR 0009), so that the next walk does not
     * probe them again. Only ever costs or saves time: a lane row is deleted only while locked, and
     * replaced by the lane's head read after the lock was taken.
     */
    private static void compactLanes(Connection c, ClaimPolicy policy, Attempt attempt) throws SQLException {
        Map<String, Long> saturated = attempt.saturated();
        Optional<ClaimedJob> claimed = attempt.claimed();
        Sql pick = policy.dependencyGate() ? COMPACT_PICK : COMPACT_PICK_DEPS_OFF;
        List<Long> stale = pick.list(c, Params.of("serial_gate", policy.serialGate(),
                "saturated_agents", new TextArray(saturated.keySet()),
                "rank", claimed.map(j -> -(long) j.priority()).orElse(Long.MAX_VALUE),
                "job", claimed.map(ClaimedJob::id).orElse(Long.MAX_VALUE),
                "limit", COMPACT_LIMIT), rs -> rs.getLong("id"));
        if (!stale.isEmpty()) {
            COMPACT_APPLY.update(c, Params.of("ids", new TypedArray("int8", stale)));
        }
    }

    /**
     * Repairs the claim's bookkeeping (ADR 0009) where a writer bypassed the triggers: deps_pending
     * counts too high first (they move jobs between lanes), then lanes without a covering row. The
     * ids of the jobs concerned, in that order; empty when all was well, as it should always be.
     */
    public List<Long> healClaimBookkeeping() {
        return tx.inTransaction(c -> {
            List<Long> healed = new ArrayList<>(HEAL_DEPS_PENDING.list(c, Params.of(), rs -> rs.getLong("id")));
            healed.addAll(HEAL_LANES.list(c, Params.of(), rs -> rs.getLong("job_id")));
            return healed;
        });
    }

    /**
     * Up to {@code max} claims in one transaction under one claim lock, each exactly as
     * {@link #claimNext} would make it one after another (each claim sees the ones before it, so
     * capacity, the serial gate and agent limits hold exactly), then a run attached to every claimed
     * job in the same transaction. Stops early at the first claim that finds nothing (no free slot or
     * no eligible job). Empty if nothing was claimed.
     */
    public List<ClaimedRun> claimAndAttach(NodeIdentity node, Instant now, ClaimPolicy policy, int max,
                                           LogFiles logFiles) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1: " + max);
        }
        return tx.inTransaction(c -> {
            if (!lockForClaims(c, node.id())) {
                return List.<ClaimedRun>of(); // fenced: its heartbeat will find out and act
            }
            List<ClaimedJob> claimed = new ArrayList<>(max);
            Attempt last;
            do {
                last = claimOneLocked(c, node.id(), now, policy);
                last.claimed().ifPresent(claimed::add);
            } while (last.claimed().isPresent() && claimed.size() < max);
            compactLanes(c, policy, last); // once, behind the last walk: it went furthest
            if (claimed.isEmpty()) {
                return List.<ClaimedRun>of();
            }
            List<ClaimedRun> attached = attach(c, claimed, node, now, logFiles);
            if (attached.size() != claimed.size()) {
                // the claims were made in this very transaction: a fence that does not hold is a bug
                throw new IllegalStateException("attached " + attached.size() + " of the " + claimed.size()
                        + " jobs claimed in the same transaction");
            }
            return attached;
        });
    }

    /** Takes the cluster-wide claim lock and share-locks the node's row; false if the node is fenced. */
    private static boolean lockForClaims(Connection c, String nodeId) throws SQLException {
        LOCK_CLAIMS.first(c, Params.of("key", CLAIM_LOCK_KEY), rs -> Boolean.TRUE);
        return !LOCK_OWN_NODE.first(c, Params.of("node", nodeId), rs -> rs.getBoolean("fenced")).orElse(false);
    }

    /** One claim's walk: the job it claimed, if any, and the agents it found at their limit. */
    private record Attempt(Optional<ClaimedJob> claimed, Map<String, Long> saturated) {
    }

    /** One claim under the claim lock ({@link #lockForClaims} first, in the same transaction). */
    private static Attempt claimOneLocked(Connection c, String nodeId, Instant now, ClaimPolicy policy)
            throws SQLException {
        Map<String, Long> saturated = saturatedAgents(c, policy);
        return new Attempt(claimNext(policy).first(c, gateParams(now, policy, saturated).with("node", nodeId),
                rs -> new ClaimedJob(rs.getLong("id"), rs.getString("agent"), rs.getString("repo"),
                        rs.getString("payload"), rs.getInt("priority"), rs.getInt("attempts"),
                        rs.getInt("max_attempts"), rs.getInt("transient_attempts"), Sql.instant(rs, "started_at"),
                        rs.getString("claimed_by"), Sql.instant(rs, "available_at"))), saturated);
    }

    /**
     * Creates the run row for a claimed job and attaches it (job.run_id), fenced by the claim.
     * Empty if the job is no longer this claim's (no run row is written).
     *
     * @param logFileFor where the run writes its output, given the new run id
     */
    public Optional<RunStart> attachRun(ClaimedJob job, NodeIdentity node, Instant now, LongFunction<Path> logFileFor) {
        return tx.inTransaction(c -> attach(c, List.of(job), node, now, (jobId, runId) -> logFileFor.apply(runId))
                .stream().map(ClaimedRun::run).findFirst());
    }

    /**
     * Attaches runs to jobs claimed together (one claim time, one node), two statements whatever
     * their number: the run ids, then {@link #ATTACH_RUNS}. Returns the runs attached, in the
     * order of {@code jobs}; a job whose claim was taken meanwhile is left out.
     */
    private static List<ClaimedRun> attach(Connection c, List<ClaimedJob> jobs, NodeIdentity node, Instant now,
                                           LogFiles logFiles) throws SQLException {
        List<Long> runIds = NEXT_RUN_IDS.list(c, Params.of("count", jobs.size()), rs -> rs.getLong("id"));
        List<Long> jobIds = new ArrayList<>(jobs.size());
        List<String> logPaths = new ArrayList<>(jobs.size());
        Map<Long, Path> logs = new HashMap<>();
        for (int i = 0; i < jobs.size(); i++) {
            long jobId = jobs.get(i).id();
            Path log = logFiles.of(jobId, runIds.get(i));
            jobIds.add(jobId);
            logPaths.add(log.toString());
            logs.put(jobId, log);
        }
        ClaimedJob first = jobs.get(0);
        for (ClaimedJob j : jobs) {
            if (!j.claimedAt().equals(first.claimedAt()) || !j.claimedBy().equals(first.claimedBy())) {
                throw new IllegalArgumentException("jobs attached together must share one claim time and node");
            }
        }
        record Attached(long jobId, long runId, int attempt) {
        }
        Map<Long, Attached> byJob = new HashMap<>();
        ATTACH_RUNS.list(c, Params.of("job_ids", new TypedArray("int8", jobIds), "run_ids", new TypedArray("int8", runIds), "log_paths", new TextArray(logPaths), "now", now, "claimed_at", first.claimedAt(),
                "claimed_by", first.claimedBy(), "node", node.id(), "host", node.host(), "boot_id", node.bootId()),
                rs -> byJob.put(rs.getLong("job_id"), new Attached(rs.getLong("job_id"), rs.getLong("id"),
                        rs.getInt("attempt"))));
        List<ClaimedRun> out = new ArrayList<>(byJob.size());
        for (ClaimedJob j : jobs) {
            Attached a = byJob.get(j.id());
            if (a != null) {
                out.add(new ClaimedRun(j, new RunStart(j.id(), a.runId(), a.attempt(), logs.get(j.id()).getParent())));
            }
        }
        return out;
    }

    /**
     * Records the OS process of a run once it exists, on the job (fenced by the run) and on the run,
     * in one statement. LOST: the job is no longer this run's.
     */
    public Ownership stampProcess(long jobId, long runId, long pid, Instant processStartedAt, Long startTicks,
                                  Instant now) {
        return tx.single(c -> Ownership.fromRowCount(STAMP_PROCESS.first(c, Params.of("pid", pid, "now", now,
                "id", jobId, "run_id", runId, "process_started_at", processStartedAt, "start_ticks", startTicks),
                rs -> rs.getInt("job_rows")).orElseThrow()));
    }

    /**
     * The agents at their limit, with their running counts: the per-agent gate's input, read by the
     * claim (under the claim lock) and by the explanations alike.
     */
    private static Map<String, Long> saturatedAgents(Connection c, ClaimPolicy policy) throws SQLException {
        Map<String, Long> saturated = new TreeMap<>();
        if (!policy.agentLimits().isEmpty()) {
            RUNNING_BY_AGENT.list(c, Params.of(), rs -> {
                Integer limit = policy.agentLimits().get(rs.getString("agent"));
                if (limit != null && rs.getLong("running") >= limit) {
                    saturated.put(rs.getString("agent"), rs.getLong("running"));
                }
                return null;
            });
        }
        return saturated;
    }

    private static Params gateParams(Instant now, ClaimPolicy policy, Map<String, Long> saturated) {
        return Params.of("now", now, "serial_gate", policy.serialGate(), "deps_gate", policy.dependencyGate(),
                "saturated_agents", new TextArray(saturated.keySet()), "max_concurrency", policy.maxConcurrency());
    }

    /**
     * The gates that hold job {@code jobId} at {@code now} under {@code policy}, by the claim's own
     * predicates: {@code [NOTHING]} if the next claim may take it, {@code [CAPACITY]} if only a
     * free slot is missing. Empty if there is no such job or it is not queued.
     */
    public Optional<List<Hold>> holds(long jobId, Instant now, ClaimPolicy policy) {
        return tx.inTransaction(c -> {
            Map<String, Long> saturated = saturatedAgents(c, policy);
            return HOLDS.first(c, gateParams(now, policy, saturated).with("id", jobId), rs -> {
                if (!"queued".equals(rs.getString("status"))) {
                    return null;
                }
                List<Hold> holds = new ArrayList<>();
                if (rs.getBoolean("repo_busy")) {
                    holds.add(Hold.repoBusy(longs(rs, "repo_running")));
                }
                if (rs.getBoolean("dependency")) {
                    holds.add(Hold.dependency(longs(rs, "dependencies_not_done")));
                }
                if (rs.getBoolean("agent_limit")) {
                    String agent = rs.getString("agent");
                    holds.add(Hold.agentLimit(agent, saturated.get(agent), policy.agentLimits().get(agent)));
                }
                if (rs.getBoolean("paused")) {
                    holds.add(Hold.paused(texts(rs, "pause_scopes")));
                }
                if (rs.getBoolean("backoff")) {
                    holds.add(Hold.backoff(Sql.instant(rs, "available_at")));
                }
                if (rs.getBoolean("cancel_requested")) {
                    holds.add(Hold.cancelRequested());
                }
                if (holds.isEmpty()) {
                    holds.add(rs.getBoolean("capacity_full")
                            ? Hold.capacity(rs.getLong("running"), policy.maxConcurrency()) : Hold.nothing());
                }
                return List.copyOf(holds);
            });
        });
    }

    /**
     * How many queued jobs each gate holds right now; a job held by several gates counts under
     * each. {@code CAPACITY}: jobs only a free slot is missing for; {@code NOTHING}: claimable now.
     * Every gate is present (0 when none).
     */
    public Map<Gate, Long> gateCounts(Instant now, ClaimPolicy policy) {
        return tx.inTransaction(c -> {
            Map<String, Long> saturated = saturatedAgents(c, policy);
            Map<Gate, Long> counts = new EnumMap<>(Gate.class);
            GATE_COUNTS.first(c, gateParams(now, policy, saturated), rs -> {
                counts.put(Gate.REPO_BUSY, rs.getLong("repo_busy"));
                counts.put(Gate.DEPENDENCY, rs.getLong("dependency"));
                counts.put(Gate.AGENT_LIMIT, rs.getLong("agent_limit"));
                counts.put(Gate.PAUSED, rs.getLong("paused"));
                counts.put(Gate.BACKOFF, rs.getLong("backoff"));
                counts.put(Gate.CANCEL_REQUESTED, rs.getLong("cancel_requested"));
                long claimable = rs.getLong("claimable");
                boolean full = rs.getBoolean("capacity_full");
                counts.put(Gate.CAPACITY, full ? claimable : 0L);
                counts.put(Gate.NOTHING, full ? 0L : claimable);
                return Boolean.TRUE;
            });
            for (Gate g : Gate.values()) {
                counts.putIfAbsent(g, 0L);
            }
            return counts;
        });
    }

    /**
     * Up to {@code limit} queued jobs that no gate of their own holds (capacity may), longest
     * claimable first, with their age at {@code now}.
     */
    public List<ClaimableJob> claimable(Instant now, ClaimPolicy policy, int limit) {
        return tx.inTransaction(c -> {
            Params p = gateParams(now, policy, saturatedAgents(c, policy));
            return CLAIMABLE_JOBS.list(c, p.without("max_concurrency").with("limit", limit), rs -> {
                Instant since = Sql.instant(rs, "since");
                return new ClaimableJob(rs.getLong("id"), rs.getString("agent"), rs.getString("repo"),
                        rs.getInt("priority"), since, since.isAfter(now) ? Duration.ZERO : Duration.between(since, now));
            });
        });
    }

    /** The running jobs that hold the slots, with their process identity and their node's lease. */
    public List<SlotHolder> slotHolders(Duration lease) {
        return tx.inTransaction(c -> SLOT_HOLDERS.list(c, Params.of("lease_seconds", (double) lease.toSeconds()),
                rs -> new SlotHolder(rs.getLong("id"), rs.getString("agent"), rs.getString("repo"),
                        rs.getString("claimed_by"), Sql.instant(rs, "claimed_at"), Sql.nullableLong(rs, "run_id"),
                        Sql.nullableLong(rs, "pid"), rs.getString("boot_id"), Sql.instant(rs, "process_started_at"),
                        Sql.nullableLong(rs, "process_start_ticks"), rs.getBoolean("lease_valid"))));
    }

    private static List<Long> longs(ResultSet rs, String column) throws SQLException {
        List<Long> out = new ArrayList<>();
        for (Object o : (Object[]) rs.getArray(column).getArray()) {
            out.add(((Number) o).longValue());
        }
        return out;
    }

    private static List<String> texts(ResultSet rs, String column) throws SQLException {
        List<String> out = new ArrayList<>();
        for (Object o : (Object[]) rs.getArray(column).getArray()) {
            out.add((String) o);
        }
        return out;
    }

    /** The earliest time after {@code now} at which a backed-off queued job becomes claimable. */
    public Optional<Instant> nextAvailableAt(Instant now) {
        return tx.inTransaction(c -> NEXT_AVAILABLE_AT.first(c, Params.of("now", now), rs -> Sql.instant(rs, "next")));
    }
}
