package dev.orchestrator.infrastructure.persistence;

import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.run.AgentRun;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.Optional;

/** {@link JobRepository} on JPA (EclipseLink, shared cache off: every read goes to PostgreSQL). */
@ApplicationScoped
public class JpaJobRepository implements JobRepository {
    @PersistenceContext(unitName = "orchestrator")
    EntityManager em;

    @Override
    @Transactional
    public Job add(Job job) {
        em.persist(job);
        em.flush();
        return job;
    }

    @Override
    @Transactional(Transactional.TxType.SUPPORTS)
    public Optional<Job> find(long id) {
        return Optional.ofNullable(em.find(Job.class, id));
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
    public List<Job> running() {
        return em.createQuery("SELECT j FROM Job j WHERE j.status = :running ORDER BY j.startedAt, j.id", Job.class)
                .setParameter("running", JobStatus.RUNNING)
                .getResultList();
    }
}
