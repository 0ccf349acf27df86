package dev.orchestrator.store;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TextArray;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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

    static final Sql LOCK_CLAIMS = Sql.of("SELECT pg_advisory_xact_lock(:key)");

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
     * are skipped, never waited for: not yet available (back-off), claiming paused (globally or for
     * the repo), the repo already running a job (serial gate), a dependency not done (deps gate), the
     * agent at its own limit.
     */
    static final Sql CLAIM_NEXT = Sql.of("""
            UPDATE jobs j
               SET status = 'running', run_id = NULL, pid = NULL, finished_at = NULL,
                   started_at = :now, claimed_by = :node, updated_at = :now
             WHERE j.id = (SELECT q.id FROM jobs q
                            WHERE q.status = 'queued' AND q.available_at <= :now
                              AND NOT q.cancel_requested
                              AND NOT EXISTS (SELECT 1 FROM claim_pauses p
                                               WHERE p.scope = '*' OR p.scope = 'repo:' || q.repo)
                              AND (NOT :serial_gate OR NOT EXISTS (SELECT 1 FROM jobs r
                                                         WHERE r.status = 'running' AND r.repo = q.repo))
                              AND (NOT :deps_gate OR NOT EXISTS (SELECT 1 FROM job_dependencies d
                                                          JOIN jobs dj ON dj.id = d.depends_on
                                                         WHERE d.job_id = q.id AND dj.status <> 'done'))
                              AND q.agent <> ALL (:saturated_agents)
                            ORDER BY q.priority DESC, q.id
                            LIMIT 1
                            FOR UPDATE SKIP LOCKED)
               AND (SELECT count(*) FROM jobs r WHERE r.status = 'running') < :max_concurrency
            RETURNING j.id, j.agent, j.repo, j.payload, j.priority, j.attempts, j.max_attempts,
                      j.transient_attempts, j.started_at, j.claimed_by, j.available_at
            """);

    /** A run row for a claimed job; attempt = number of earlier runs + 1. */
    static final Sql INSERT_RUN = Sql.of("""
            INSERT INTO agent_runs (job_id, attempt, node_id, host, boot_id, started_at, log_path)
            VALUES (:job, (SELECT count(*) + 1 FROM agent_runs WHERE job_id = :job), :node, :host, :boot_id, :now, '')
            RETURNING id, attempt
            """);

    static final Sql SET_RUN_LOG_PATH = Sql.of("UPDATE agent_runs SET log_path = :log_path WHERE id = :run");

    /** Attaches the run to the job, fenced by the claim (no run yet, same claim time and node). */
    static final Sql ATTACH_RUN = Sql.of("""
            UPDATE jobs SET run_id = :run, updated_at = :now
             WHERE id = :id AND status = 'running' AND run_id IS NULL AND started_at = :claimed_at
               AND claimed_by = :node
            """);

    static final Sql STAMP_JOB_PID = Sql.of("""
            UPDATE jobs SET pid = :pid, updated_at = :now
             WHERE {running_run}
            """);

    static final Sql STAMP_RUN_PROCESS = Sql.of("""
            UPDATE agent_runs SET pid = :pid, process_started_at = :process_started_at,
                   process_start_ticks = :start_ticks
             WHERE id = :run AND finished_at IS NULL
            """);

    static final Sql NEXT_AVAILABLE_AT = Sql.of("""
            SELECT min(available_at) AS next FROM jobs WHERE status = 'queued' AND available_at > :now
            """);

    private final Transactions tx;

    public ClaimStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /**
     * Claims the next eligible job for {@code nodeId} under {@code policy}: queued -> running,
     * run_id and pid written NULL, started_at stamped. Claims are serialised cluster-wide by an
     * advisory lock, so the running counts the gates read are exact.
     */
    public Optional<ClaimedJob> claimNext(String nodeId, Instant now, ClaimPolicy policy) {
        return tx.inTransaction(c -> {
            LOCK_CLAIMS.first(c, Params.of("key", CLAIM_LOCK_KEY), rs -> Boolean.TRUE);
            boolean fenced = LOCK_OWN_NODE.first(c, Params.of("node", nodeId), rs -> rs.getBoolean("fenced"))
                    .orElse(false);
            if (fenced) {
                return Optional.<ClaimedJob>empty(); // its heartbeat will find out and act
            }
            List<String> saturated = new ArrayList<>();
            if (!policy.agentLimits().isEmpty()) {
                RUNNING_BY_AGENT.list(c, Params.of(), rs -> {
                    Integer limit = policy.agentLimits().get(rs.getString("agent"));
                    if (limit != null && rs.getLong("running") >= limit) {
                        saturated.add(rs.getString("agent"));
                    }
                    return null;
                });
            }
            return CLAIM_NEXT.first(c, Params.of("now", now, "node", nodeId, "serial_gate", policy.serialGate(),
                    "deps_gate", policy.dependencyGate(), "saturated_agents", new TextArray(saturated),
                    "max_concurrency", policy.maxConcurrency()),
                    rs -> new ClaimedJob(rs.getLong("id"), rs.getString("agent"), rs.getString("repo"),
                            rs.getString("payload"), rs.getInt("priority"), rs.getInt("attempts"),
                            rs.getInt("max_attempts"), rs.getInt("transient_attempts"), Sql.instant(rs, "started_at"),
                            rs.getString("claimed_by"), Sql.instant(rs, "available_at")));
        });
    }

    /**
     * Creates the run row for a claimed job and attaches it (job.run_id), fenced by the claim.
     * Empty if the job is no longer this claim's (the transaction is rolled back: no run row).
     *
     * @param logFileFor where the run writes its output, given the new run id
     */
    public Optional<RunStart> attachRun(ClaimedJob job, NodeIdentity node, Instant now, LongFunction<Path> logFileFor) {
        return tx.inTransaction(c -> {
            record Inserted(long runId, int attempt) {
            }
            Inserted run = INSERT_RUN.first(c, Params.of("job", job.id(), "node", node.id(), "host", node.host(),
                    "boot_id", node.bootId(), "now", now), rs -> new Inserted(rs.getLong("id"), rs.getInt("attempt")))
                    .orElseThrow();
            Path log = logFileFor.apply(run.runId());
            SET_RUN_LOG_PATH.update(c, Params.of("log_path", log.toString(), "run", run.runId()));
            int rows = ATTACH_RUN.update(c, Params.of("run", run.runId(), "now", now, "id", job.id(),
                    "claimed_at", job.claimedAt(), "node", job.claimedBy()));
            if (!Ownership.fromRowCount(rows).owned()) {
                c.rollback();
                return Optional.<RunStart>empty();
            }
            return Optional.of(new RunStart(job.id(), run.runId(), run.attempt(), log.getParent()));
        });
    }

    /** Records the OS process of a run once it exists. LOST: the job is no longer this run's. */
    public Ownership stampProcess(long jobId, long runId, long pid, Instant processStartedAt, Long startTicks,
                                  Instant now) {
        return tx.inTransaction(c -> {
            Ownership o = Ownership.fromRowCount(STAMP_JOB_PID.update(c,
                    Params.of("pid", pid, "now", now, "id", jobId, "run_id", runId)));
            STAMP_RUN_PROCESS.update(c, Params.of("pid", pid, "process_started_at", processStartedAt,
                    "start_ticks", startTicks, "run", runId));
            return o;
        });
    }

    /** The earliest time after {@code now} at which a backed-off queued job becomes claimable. */
    public Optional<Instant> nextAvailableAt(Instant now) {
        return tx.inTransaction(c -> NEXT_AVAILABLE_AT.first(c, Params.of("now", now), rs -> Sql.instant(rs, "next")));
    }
}
