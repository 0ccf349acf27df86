package dev.orchestrator.store;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.run.AgentRun;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import jakarta.transaction.Transactional;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** {@link JobRepository} on JPA (EclipseLink, shared cache off: every read goes to PostgreSQL). */
@ApplicationScoped
public class JpaJobRepository implements JobRepository {
    @PersistenceContext(unitName = "orchestrator")
    EntityManager em;

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<Job> find(long id) {
        return Optional.ofNullable(em.find(Job.class, id));
    }

    @Override
    @Transactional
    public Optional<Details> details(long id) {
        // one transaction: one connection from the container's pool for the three reads, not three
        Job job = em.find(Job.class, id);
        return job == null ? Optional.empty() : Optional.of(new Details(job, dependenciesOf(id), runsOf(id)));
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public List<Job> findAll(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return em.createQuery("SELECT j FROM Job j WHERE j.id IN :ids ORDER BY j.id", Job.class)
                .setParameter("ids", ids)
                .getResultList();
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
