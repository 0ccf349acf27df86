package dev.orchestrator.domain.job;

import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Layer 3 of the run-ownership defence, and the owner reset of the entity path: every
 * entity-managed write of a queued job leaves it owning no run. An operator retry
 * ({@link Job#retry}) relies on it to release the finished run's {@code run_id}, {@code pid},
 * {@code started_at} and {@code claimed_by}; any other entity-managed write that makes a job
 * queued is normalised the same way, whatever the code before it did. JPQL/SQL bulk updates
 * bypass this listener; the guarded statements (layer 1) and the CHECK constraint (layer 4)
 * cover those.
 */
public class RunOwnershipListener {
    private static final Logger LOG = Logger.getLogger(RunOwnershipListener.class.getName());

    @PrePersist
    @PreUpdate
    public void normalise(Job job) {
        if (job.status() == JobStatus.QUEUED && job.hasRunOwnership()) {
            LOG.log(Level.INFO, "job {0} is queued: releasing its run ownership (run_id={1}, pid={2}, "
                    + "started_at={3}, claimed_by={4}) before writing",
                    new Object[] {job.id(), job.runId(), job.pid(), job.startedAt(), job.claimedBy()});
            job.releaseRunOwnership();
        }
    }
}
