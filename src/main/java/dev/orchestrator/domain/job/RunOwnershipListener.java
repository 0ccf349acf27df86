package dev.orchestrator.domain.job;

import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Layer 3 of the run-ownership defence: every entity-managed write of a queued job leaves it
 * owning no run, whatever the code before it did. JPQL/SQL bulk updates bypass this listener;
 * the guarded statements (layer 1) and the CHECK constraint (layer 4) cover those.
 */
public class RunOwnershipListener {
    private static final Logger LOG = Logger.getLogger(RunOwnershipListener.class.getName());

    @PrePersist
    @PreUpdate
    public void normalise(Job job) {
        if (job.status() == JobStatus.QUEUED && job.hasRunOwnership()) {
            LOG.log(Level.WARNING, "job {0}: a queued job carried run ownership (run_id={1}, pid={2}, "
                    + "started_at={3}, claimed_by={4}); cleared before writing",
                    new Object[] {job.id(), job.runId(), job.pid(), job.startedAt(), job.claimedBy()});
            job.releaseRunOwnership();
        }
    }
}
