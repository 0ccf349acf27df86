package dev.orchestrator.store;

import dev.orchestrator.domain.job.IdempotencyKeyTakenException;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.UnknownDependencyException;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TypedArray;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/**
 * The enqueue: new jobs and their dependency edges, written in one short transaction on the
 * queue's pool, a single job and a batch of a thousand alike (ADR 0011). Each statement takes
 * arrays ({@code unnest}), so a batch is one INSERT however large.
 *
 * <p>The run-ownership invariant holds by construction: the INSERT names no ownership column
 * (run_id, pid, started_at, claimed_by, finished_at stay NULL) and writes the status literal
 * {@code 'queued'}; {@link #insert} refuses any job that is not a fresh queued job as
 * {@link Job#enqueue} makes it, so what {@code RunOwnershipListener} would normalise cannot arrive
 * here, and the schema's CHECKs stand behind both.
 */
public class EnqueueStore {
    /**
     * The rows are produced in item order ({@code ORDER BY ord}) and the identity is drawn as each
     * row is inserted, so the ids, sorted, are the items' ids in order (the RETURNING order itself is
     * not relied on).
     */
    static final Sql INSERT_JOBS = Sql.of("""
            INSERT INTO jobs (agent, repo, payload, priority, max_attempts, status, attempts, transient_attempts,
                              available_at, created_at, updated_at, idempotency_key, request_hash, submitted_by)
            SELECT i.agent, i.repo, i.payload, i.priority, i.max_attempts, 'queued', 0, 0,
                   :now, :now, :now, i.idempotency_key, i.request_hash, :submitted_by
              FROM unnest(:agents, :repos, :payloads, :priorities, :max_attempts, :idempotency_keys, :request_hashes)
                   WITH ORDINALITY AS i(agent, repo, payload, priority, max_attempts, idempotency_key, request_hash, ord)
             ORDER BY i.ord
            RETURNING id
            """);

    /** Locks the existing dependencies as the foreign key would (a retention DELETE then waits and fails). */
    static final Sql LOCK_DEPENDENCIES = Sql.of("""
            SELECT id FROM jobs WHERE id = ANY (:ids) FOR KEY SHARE
            """);

    static final Sql INSERT_DEPENDENCIES = Sql.of("""
            INSERT INTO job_dependencies (job_id, depends_on)
            SELECT * FROM unnest(:job_ids, :depends_on)
            """);

    static final Sql EXISTING = Sql.of("""
            SELECT id FROM jobs WHERE id = ANY (:ids)
            """);

    static final Sql BY_KEYS = Sql.of("""
            SELECT id, idempotency_key, request_hash, submitted_by FROM jobs
             WHERE idempotency_key = ANY (:keys)
             ORDER BY id
            """);

    /** A job stored under an idempotency key. */
    public record KeyedJob(long id, String idempotencyKey, String requestHash, String submittedBy) {
    }

    private final Transactions tx;

    public EnqueueStore(DataSource dataSource) {
        this.tx = new Transactions(dataSource);
    }

    /**
     * Inserts {@code jobs} and their dependencies in one transaction, all or nothing, and returns
     * their ids in item order. Item {@code i} depends on the existing jobs {@code dependsOn.get(i)}
     * and on the earlier items {@code dependsOnIndex.get(i)} (each below {@code i}).
     *
     * @throws UnknownDependencyException an existing dependency is gone (pruned since validation)
     * @throws IdempotencyKeyTakenException a job's idempotency key is already stored
     * @throws IllegalArgumentException a job that is not new and queued, owning no run
     */
    public List<Long> insert(List<Job> jobs, List<List<Long>> dependsOn, List<List<Integer>> dependsOnIndex) {
        if (jobs.isEmpty() || jobs.size() != dependsOn.size() || jobs.size() != dependsOnIndex.size()) {
            throw new IllegalArgumentException("one list of dependencies per job");
        }
        OffsetDateTime now = jobs.get(0).createdAt();
        String submittedBy = jobs.get(0).submittedBy();
        List<String> agents = new ArrayList<>(jobs.size());
        List<String> repos = new ArrayList<>(jobs.size());
        List<String> payloads = new ArrayList<>(jobs.size());
        List<Integer> priorities = new ArrayList<>(jobs.size());
        List<Integer> maxAttempts = new ArrayList<>(jobs.size());
        List<String> keys = new ArrayList<>(jobs.size());
        List<String> hashes = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            Job j = jobs.get(i);
            requireFreshQueued(j, now, submittedBy);
            for (int d : dependsOnIndex.get(i)) {
                if (d < 0 || d >= i) {
                    throw new IllegalArgumentException("job " + i + " may only depend on earlier items, not " + d);
                }
            }
            agents.add(j.agent());
            repos.add(j.repo());
            payloads.add(j.payload());
            priorities.add(j.priority());
            maxAttempts.add(j.maxAttempts());
            keys.add(j.idempotencyKey());
            hashes.add(j.requestHash());
        }
        Set<Long> existing = new TreeSet<>();
        dependsOn.forEach(existing::addAll);
        return tx.inTransaction(c -> {
            if (!existing.isEmpty()) {
                Set<Long> locked = new HashSet<>(LOCK_DEPENDENCIES.list(c, Params.of("ids",
                        new TypedArray("int8", existing)), rs -> rs.getLong("id")));
                List<Long> missing = existing.stream().filter(d -> !locked.contains(d)).toList();
                if (!missing.isEmpty()) {
                    throw new UnknownDependencyException(missing);
                }
            }
            List<Long> ids;
            try {
                ids = INSERT_JOBS.list(c, Params.of("now", now, "submitted_by", submittedBy,
                        "agents", new TypedArray("text", agents), "repos", new TypedArray("text", repos),
                        "payloads", new TypedArray("text", payloads), "priorities", new TypedArray("int4", priorities),
                        "max_attempts", new TypedArray("int4", maxAttempts),
                        "idempotency_keys", new TypedArray("text", keys),
                        "request_hashes", new TypedArray("text", hashes)), rs -> rs.getLong("id"));
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState()) && String.valueOf(e.getMessage()).contains("jobs_idempotency_key")) {
                    throw new IdempotencyKeyTakenException(e);
                }
                throw e;
            }
            ids = ids.stream().sorted().toList();
            List<Long> from = new ArrayList<>();
            List<Long> to = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                Set<Long> edges = new LinkedHashSet<>(dependsOn.get(i));
                for (int d : dependsOnIndex.get(i)) {
                    edges.add(ids.get(d));
                }
                for (long d : edges) {
                    from.add(ids.get(i));
                    to.add(d);
                }
            }
            if (!from.isEmpty()) {
                INSERT_DEPENDENCIES.update(c, Params.of("job_ids", new TypedArray("int8", from),
                        "depends_on", new TypedArray("int8", to)));
            }
            return ids;
        });
    }

    private static void requireFreshQueued(Job j, OffsetDateTime now, String submittedBy) {
        if (j.id() != null || j.status() != JobStatus.QUEUED || j.hasRunOwnership() || j.finishedAt() != null
                || j.attempts() != 0 || j.transientAttempts() != 0 || j.cancelRequested()
                || !now.equals(j.createdAt()) || !now.equals(j.availableAt()) || !now.equals(j.updatedAt())
                || !java.util.Objects.equals(submittedBy, j.submittedBy())) {
            throw new IllegalArgumentException("only new queued jobs of one request are enqueued (Job.enqueue)");
        }
    }

    /** Which of {@code ids} exist. */
    public Set<Long> existing(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(tx.inTransaction(c -> EXISTING.list(c, Params.of("ids", new TypedArray("int8",
                new TreeSet<>(ids))), rs -> rs.getLong("id"))));
    }

    /** The jobs stored under any of {@code keys}, by id. */
    public List<KeyedJob> byKeys(Collection<String> keys) {
        return tx.inTransaction(c -> BY_KEYS.list(c, Params.of("keys", new TypedArray("text", keys)),
                rs -> new KeyedJob(rs.getLong("id"), rs.getString("idempotency_key"), rs.getString("request_hash"),
                        rs.getString("submitted_by"))));
    }
}
