package dev.orchestrator.domain.job;

import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.run.AgentRun;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Entity-managed access to jobs and their runs: reads and the operator transitions (the hot
 * transitions and the enqueue live in the queue's SQL stores).
 */
public interface JobRepository {
    /** Filters of the job list; null fields do not filter; {@code scope} limits the repos seen. */
    record ListFilter(JobStatus status, String repo, String agent, RepoScope scope) {
        public ListFilter(JobStatus status, String repo, String agent) {
            this(status, repo, agent, RepoScope.all());
        }
    }

    Optional<Job> find(long id);

    /** A job with the ids it depends on and its runs, oldest first, read together. */
    record Details(Job job, List<Long> dependsOn, List<AgentRun> runs) {
    }

    /** The job, its dependencies and its runs, in one transaction (one connection). */
    Optional<Details> details(long id);

    /** The jobs with these ids that exist, by id. */
    List<Job> findAll(Collection<Long> ids);

    /** The ids the job depends on. */
    List<Long> dependenciesOf(long jobId);

    /** Jobs newest first, with ids below {@code beforeId} (null: from the newest), at most {@code limit}. */
    List<Job> list(ListFilter filter, Long beforeId, int limit);

    /** The job's runs, oldest first. */
    List<AgentRun> runsOf(long jobId);

    Optional<AgentRun> findRun(long runId);

    /** Running jobs, oldest claim first. */
    List<Job> running();

    /**
     * Loads the job under a row lock ({@code SELECT ... FOR UPDATE}, which serialises with the
     * queue's guarded statements), applies {@code change} to the entity and writes it, in one
     * transaction; the entity listeners run on the write. Empty if there is no such job;
     * {@code change} returns a non-null answer.
     */
    default <T> Optional<T> changeLocked(long id, Function<Job, T> change) {
        return changeLocked(id, change, answer -> null);
    }

    /**
     * As {@link #changeLocked(long, Function)}, and writes the audit event that {@code audit} makes
     * of the answer (none if it gives null) in the same transaction.
     */
    <T> Optional<T> changeLocked(long id, Function<Job, T> change, Function<T, AuditEvent> audit);
}
