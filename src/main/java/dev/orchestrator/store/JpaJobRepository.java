package dev.orchestrator.store;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.UnknownDependencyException;
import dev.orchestrator.domain.run.AgentRun;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** {@link JobRepository} on JPA (EclipseLink, shared cache off: every read goes to PostgreSQL). */
@ApplicationScoped
public class JpaJobRepository implements JobRepository {
    @PersistenceContext(unitName = "orchestrator")
    EntityManager em;

    @Override
    @Transactional
    public Job add(Job job, List<Long> dependsOn) {
        // Lock the dependencies first (FOR KEY SHARE, as the foreign key would): a retention DELETE
        // of one then waits for this transaction and fails on ON DELETE RESTRICT, and one that was
        // pruned since the request was validated is named, not a foreign-key error.
        List<Long> missing = dependsOn.stream().distinct().sorted()
                .filter(d -> em.createNativeQuery("SELECT id FROM jobs WHERE id = ?1 FOR KEY SHARE")
                        .setParameter(1, d).getResultList().isEmpty())
                .toList();
        if (!missing.isEmpty()) {
            throw new UnknownDependencyException(missing);
        }
        em.persist(job);
        em.flush();
        for (Long dependency : dependsOn) {
            em.createNativeQuery("INSERT INTO job_dependencies (job_id, depends_on) VALUES (?1, ?2)")
                    .setParameter(1, job.id())
                    .setParameter(2, dependency)
                    .executeUpdate();
        }
        return job;
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<Job> find(long id) {
        return Optional.ofNullable(em.find(Job.class, id));
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<Job> findByIdempotencyKey(String key) {
        return em.createQuery("SELECT j FROM Job j WHERE j.idempotencyKey = :key", Job.class)
                .setParameter("key", key)
                .getResultStream()
                .findFirst();
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Set<Long> existing(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(em.createQuery("SELECT j.id FROM Job j WHERE j.id IN :ids", Long.class)
                .setParameter("ids", ids)
                .getResultList());
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    @SuppressWarnings("unchecked")
    public List<Long> dependenciesOf(long jobId) {
        List<Object> rows = em.createNativeQuery(
                        "SELECT depends_on FROM job_dependencies WHERE job_id = ?1 ORDER BY depends_on")
                .setParameter(1, jobId)
                .getResultList();
        return rows.stream().map(o -> ((Number) o).longValue()).toList();
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Job> list(ListFilter filter, Long beforeId, int limit) {
        StringBuilder jpql = new StringBuilder("SELECT j FROM Job j WHERE 1 = 1");
        if (filter.status() != null) {
            jpql.append(" AND j.status = :status");
        }
        if (filter.repo() != null) {
            jpql.append(" AND j.repo = :repo");
        }
        if (filter.agent() != null) {
            jpql.append(" AND j.agent = :agent");
        }
        if (beforeId != null) {
            jpql.append(" AND j.id < :before");
        }
        List<String> like = filter.scope().likePatterns();
        if (!like.isEmpty()) {
            jpql.append(" AND (");
            for (int i = 0; i < like.size(); i++) {
                jpql.append(i == 0 ? "" : " OR ").append("j.repo LIKE :scope").append(i).append(" ESCAPE '\\'");
            }
            jpql.append(")");
        }
        jpql.append(" ORDER BY j.id DESC");
        TypedQuery<Job> q = em.createQuery(jpql.toString(), Job.class).setMaxResults(limit);
        if (filter.status() != null) {
            q.setParameter("status", filter.status());
        }
        if (filter.repo() != null) {
            q.setParameter("repo", filter.repo());
        }
        if (filter.agent() != null) {
            q.setParameter("agent", filter.agent());
        }
        if (beforeId != null) {
            q.setParameter("before", beforeId);
        }
        for (int i = 0; i < like.size(); i++) {
            q.setParameter("scope" + i, like.get(i));
        }
        return q.getResultList();
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<AgentRun> runsOf(long jobId) {
        return em.createQuery("SELECT r FROM AgentRun r WHERE r.jobId = :job ORDER BY r.id", AgentRun.class)
                .setParameter("job", jobId)
                .getResultList();
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<AgentRun> findRun(long runId) {
        return Optional.ofNullable(em.find(AgentRun.class, runId));
    }

    @Override
    @Transactional
    public <T> Optional<T> changeLocked(long id, Function<Job, T> change, Function<T, AuditEvent> audit) {
        Job job = em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
        if (job == null) {
            return Optional.empty();
        }
        T result = change.apply(job);
        em.flush(); // inside the lock: @PreUpdate (RunOwnershipListener) runs here
        AuditEvent event = audit.apply(result);
        if (event != null) {
            jakarta.persistence.Query insert = em.createNativeQuery(AUDIT_INSERT);
            Object[] values = {event.at() == null ? null : java.time.OffsetDateTime.ofInstant(event.at(),
                    java.time.ZoneOffset.UTC), event.actor(), event.action(), event.target(), event.result().db(),
                    event.detail(), event.clientAddress()};
            for (int i = 0; i < values.length; i++) {
                insert.setParameter(i + 1, values[i]);
            }
            insert.executeUpdate();
        }
        return Optional.of(result);
    }

    /** {@link AuditStore#INSERT} with positional parameters, on this transaction's connection. */
    static final String AUDIT_INSERT = "INSERT INTO audit_events (at, actor, action, target, result, detail, "
            + "client_address) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Job> running() {
        return em.createQuery("SELECT j FROM Job j WHERE j.status = :running ORDER BY j.startedAt, j.id", Job.class)
                .setParameter("running", JobStatus.RUNNING)
                .getResultList();
    }
}
