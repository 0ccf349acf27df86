package dev.orchestrator.node;

import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;

import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.store.JobStore;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 3: the running jobs of nodes whose lease expired (no heartbeat for
 * ORCH_NODE_LEASE_SECONDS, on the database clock) are taken back by any live node. Fencing the
 * expired node is a guarded statement, so exactly one reclaimer wins; a node that finds itself
 * fenced kills its runs ({@link NodeLease}). Kill-switch {@code ORCH_LEASE_RECLAIM_ENABLED}.
 *
 * <p>Each pass also takes back the running jobs of nodes that are already stopped: a recovery
 * that failed for a row after the fence, or a run an orderly stop could not hand back, would
 * otherwise stay running for good, holding a slot (with one slot, the whole queue).
 */
public final class LeaseReclaimer {
    private static final Logger LOG = Logger.getLogger(LeaseReclaimer.class.getName());

    private final JobStore store;
    private final DeadNodeRecovery recovery;
    private final String selfId;
    private final Duration lease;
    private final QueueEvents events;

    public LeaseReclaimer(JobStore store, DeadNodeRecovery recovery, String selfId, Duration lease, QueueEvents events) {
        this.store = store;
        this.recovery = recovery;
        this.selfId = selfId;
        this.lease = lease;
        this.events = events;
    }

    /** Returns the number of rows that failed (logged). */
    public int reclaimOnce() {
        int errors = 0;
        java.util.Set<String> fencedNow = new java.util.HashSet<>();
        for (NodeIdentity expired : store.expiredNodes(selfId, lease)) {
            if (!store.fenceExpiredNode(expired.id(), lease)) {
                continue; // another node reclaimed it first, or it came back
            }
            fencedNow.add(expired.id());
            LOG.log(Level.WARNING, "node {0} missed its lease of {1} s; fenced it and taking back its jobs",
                    new Object[] {expired.id(), lease.toSeconds()});
            // jobs read with their owner's state: if the node rejoined meanwhile, none are its
            DeadNodeRecovery.Result r = recovery.recover(List.of(expired), store.runningJobsOfStoppedNodes(selfId),
                    "reclaimed: the lease of node " + expired.id() + " expired");
            events.record(QueueEvent.REAPED_LEASE_EXPIRED, r.recovered().size());
            errors += r.errors();
        }
        List<NodeIdentity> stopped = store.stoppedNodesOwningRunningJobs(selfId).stream()
                .filter(n -> !fencedNow.contains(n.id())) // just tried: left for the next pass
                .toList();
        if (!stopped.isEmpty()) {
            DeadNodeRecovery.Result r = recovery.recover(stopped, store.runningJobsOfStoppedNodes(selfId),
                    "reclaimed: the node that ran this job had stopped without finishing it");
            events.record(QueueEvent.REAPED_LEASE_EXPIRED, r.recovered().size());
            errors += r.errors();
        }
        return errors;
    }
}
