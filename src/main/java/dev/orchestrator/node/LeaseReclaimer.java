package dev.orchestrator.node;

import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.reaper.ReaperStep;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.store.FinishStore;
import dev.orchestrator.store.NodeStore;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 4: the running jobs of nodes whose lease expired (no heartbeat for
 * ORCH_NODE_LEASE_SECONDS, on the database clock) are taken back by any live node. Fencing the
 * expired node is a guarded statement, so exactly one reclaimer wins; a node that finds itself
 * fenced kills its runs ({@link NodeLease}). Kill-switch {@code ORCH_LEASE_RECLAIM_ENABLED}.
 *
 * <p>Each pass also takes back the running jobs of nodes that are already stopped: a recovery
 * that failed for a row after the fence, or a run an orderly stop could not hand back, would
 * otherwise stay running for good, holding a slot (with one slot, the whole queue).
 */
public final class LeaseReclaimer implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(LeaseReclaimer.class.getName());

    private final NodeContext self;
    private final NodeStore nodes;
    private final FinishStore finishes;
    private final DeadNodeRecovery recovery;
    private final Duration lease;

    public LeaseReclaimer(NodeContext self, NodeStore nodes, FinishStore finishes, DeadNodeRecovery recovery,
                          Duration lease) {
        this.self = self;
        this.nodes = nodes;
        this.finishes = finishes;
        this.recovery = recovery;
        this.lease = lease;
    }

    @Override
    public Result runOnce() {
        Result total = Result.NOTHING;
        Set<String> fencedNow = new HashSet<>();
        for (NodeIdentity expired : nodes.expiredNodes(self.id(), lease)) {
            if (!nodes.fenceExpiredNode(expired.id(), lease)) {
                continue; // another node reclaimed it first, or it came back
            }
            fencedNow.add(expired.id());
            LOG.log(Level.WARNING, "node {0} missed its lease of {1} s; fenced it and taking back its jobs",
                    new Object[] {expired.id(), lease.toSeconds()});
            // jobs read with their owner's state: if the node rejoined meanwhile, none are its
            total = total.plus(recover(List.of(expired), "reclaimed: the lease of node " + expired.id() + " expired"));
        }
        List<NodeIdentity> stopped = nodes.stoppedNodesOwningRunningJobs(self.id()).stream()
                .filter(n -> !fencedNow.contains(n.id())) // just tried: left for the next pass
                .toList();
        if (!stopped.isEmpty()) {
            total = total.plus(recover(stopped,
                    "reclaimed: the node that ran this job had stopped without finishing it"));
        }
        return total;
    }

    private Result recover(List<NodeIdentity> owners, String why) {
        DeadNodeRecovery.Result r = recovery.recover(owners, finishes.runningJobsOfStoppedNodes(self.id()), why);
        self.events().record(QueueEvent.REAPED_LEASE_EXPIRED, r.recovered().size());
        return Result.reaped(r.recovered().size(), r.errors());
    }
}
