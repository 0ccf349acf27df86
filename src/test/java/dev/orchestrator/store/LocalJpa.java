package dev.orchestrator.store;

import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.run.AgentRun;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import jakarta.persistence.Persistence;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The application's own persistence unit ({@code orchestrator}, META-INF/persistence.xml: the same
 * entities, listener and settings) and its real {@link JpaJobRepository}, outside the container:
 * EclipseLink on the test PostgreSQL, with each repository call in its own resource-local
 * transaction where the container would open a JTA one. What runs is the production code; only
 * the transaction demarcation is the test's.
 */
public final class LocalJpa implements JobRepository, AutoCloseable {
    private final EntityManagerFactory factory;

    public LocalJpa(DataSource dataSource) {
        this.factory = Persistence.createEntityManagerFactory("orchestrator", Map.of(
                "jakarta.persistence.transactionType", "RESOURCE_LOCAL",
                "jakarta.persistence.jtaDataSource", "",
                "jakarta.persistence.nonJtaDataSource", dataSource,
                "eclipselink.weaving", "false"));
    }

    private synchronized <T> T inTransaction(Function<JpaJobRepository, T> call) {
        EntityManager em = factory.createEntityManager();
        EntityTransaction tx = em.getTransaction();
        try {
            JpaJobRepository repository = new JpaJobRepository();
            repository.em = em;
            tx.begin();
            T result = call.apply(repository);
            tx.commit();
            return result;
        } finally {
            if (tx.isActive()) {
                tx.rollback();
            }
            em.close();
        }
    }

    @Override
    public Optional<Job> find(long id) {
        return inTransaction(r -> r.find(id));
    }

    @Override
    public Optional<Details> details(long id) {
        return inTransaction(r -> r.details(id));
    }

    @Override
    public List<Job> findAll(Collection<Long> ids) {
        return inTransaction(r -> r.findAll(ids));
    }

    @Override
    public List<Long> dependenciesOf(long jobId) {
        return inTransaction(r -> r.dependenciesOf(jobId));
    }

    @Override
    public List<Job> list(ListFilter filter, Long beforeId, int limit) {
        return inTransaction(r -> r.list(filter, beforeId, limit));
    }

    @Override
    public List<AgentRun> runsOf(long jobId) {
        return inTransaction(r -> r.runsOf(jobId));
    }

    @Override
    public Optional<AgentRun> findRun(long runId) {
        return inTransaction(r -> r.findRun(runId));
    }

    @Override
    public List<Job> running() {
        return inTransaction(JpaJobRepository::running);
    }

    @Override
    public <T> Optional<T> changeLocked(long id, Function<Job, T> change,
                                        Function<T, dev.orchestrator.domain.audit.AuditEvent> audit) {
        return inTransaction(r -> r.changeLocked(id, change, audit));
    }

    @Override
    public void close() {
        factory.close();
    }
}
