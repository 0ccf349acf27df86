package dev.orchestrator.node;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimableJob;
import dev.orchestrator.domain.job.SlotHolder;
import dev.orchestrator.process.ProcessTable;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.store.ClaimStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The wedge alarm: the predecessor's incident (jobs queued, nothing running them, nobody told),
 * detected instead of suffered. Wedged when a claimable job (no gate of its own holds it) has
 * waited longer than the threshold while a slot is free, or while every slot is held by a run that
 * is not alive.
 *
 * <p>Whether a run is alive: a run of this node is judged by its process (pid + start ticks + boot
 * id, as the reaper's liveness check does); a run claimed but not yet stamped with a pid counts as
 * alive for the spawn grace period after its claim. A run of another node cannot be judged from
 * here: it counts as alive while that node's lease is valid (not stopped, heartbeat within the
 * lease on the database clock) and as not alive once the lease expired or the node stopped.
 */
public final class WedgeAlarm {
    /** Most claimable jobs named in a state. */
    static final int NAMED_JOBS = 20;

    /** A slot's holder as judged now: its running job and run, and whether that run is alive. */
    public record Slot(long jobId, String agent, String repo, String node, Long runId, Long pid, boolean alive,
                       String judgedBy) {
    }

    /**
     * The alarm's verdict at {@code at}.
     *
     * @param overdue claimable jobs waiting longer than the threshold, longest first (at most 20)
     * @param oldestClaimableAge how long the longest-waiting claimable job has waited; zero if none
     * @param slots every running job (each holds a slot), as judged now
     * @param reason why it is wedged, or what it saw when it is not
     */
    public record State(boolean wedged, Instant at, Duration threshold, int maxConcurrency, int running,
                        List<ClaimableJob> overdue, Duration oldestClaimableAge, List<Slot> slots, String reason) {
        public State {
            overdue = List.copyOf(overdue);
            slots = List.copyOf(slots);
        }

        public long deadSlots() {
            return slots.stream().filter(s -> !s.alive()).count();
        }
    }

    private final NodeContext node;
    private final ClaimStore claims;
    private final ProcessTable processes;
    private final ClaimPolicy policy;
    private final Duration threshold;
    private final Duration lease;
    private final Duration spawnGrace;

    public WedgeAlarm(NodeContext node, ClaimStore claims, ProcessTable processes, ClaimPolicy policy,
                      Duration threshold, Duration lease, Duration spawnGrace) {
        this.node = node;
        this.claims = claims;
        this.processes = processes;
        this.policy = policy;
        this.threshold = threshold;
        this.lease = lease;
        this.spawnGrace = spawnGrace;
    }

    public Duration threshold() {
        return threshold;
    }

    /** The alarm's state now (two short reads: the claimable jobs, then the slot holders). */
    public State evaluate() {
        Instant now = node.clock().instant();
        List<ClaimableJob> claimable = claims.claimable(now, policy, NAMED_JOBS);
        Duration oldest = claimable.isEmpty() ? Duration.ZERO : claimable.get(0).age();
        List<ClaimableJob> overdue = claimable.stream().filter(j -> j.age().compareTo(threshold) > 0).toList();
        List<Slot> slots = claims.slotHolders(lease).stream().map(h -> judge(h, now)).toList();
        int running = slots.size();
        boolean free = running < policy.maxConcurrency();
        boolean allDead = !slots.isEmpty() && slots.stream().noneMatch(Slot::alive);
        String reason;
        boolean wedged = false;
        if (overdue.isEmpty()) {
            reason = claimable.isEmpty() ? "no claimable job is waiting"
                    : "the longest-waiting claimable job has waited " + oldest.toSeconds() + " s, within the "
                            + threshold.toSeconds() + " s allowed";
        } else if (free) {
            wedged = true;
            reason = overdue.size() + " claimable job(s) waited longer than " + threshold.toSeconds()
                    + " s while " + (policy.maxConcurrency() - running) + " of " + policy.maxConcurrency()
                    + " slot(s) are free: nothing claims them (dispatchers stopped, paused or fenced?)";
        } else if (allDead) {
            wedged = true;
            reason = overdue.size() + " claimable job(s) waited longer than " + threshold.toSeconds()
                    + " s while every slot is held by a run that is not alive (is the reaper running?)";
        } else {
            reason = "claimable jobs are waiting for a slot; the slots are held by runs that are alive";
        }
        return new State(wedged, now, threshold, policy.maxConcurrency(), running, overdue, oldest, slots, reason);
    }

    private Slot judge(SlotHolder h, Instant now) {
        boolean alive;
        String how;
        if (node.owns(h.node())) {
            if (h.pid() == null) {
                alive = h.claimedAt() != null && h.claimedAt().plus(spawnGrace).isAfter(now);
                how = alive ? "starting (within the spawn grace)" : "no process after the spawn grace";
            } else {
                alive = processes.isSameProcessAlive(h.pid(), h.processStartedAt(), h.processStartTicks(),
                        h.bootId());
                how = alive ? "process alive" : "process " + h.pid() + " is gone";
            }
        } else {
            alive = h.leaseValid();
            how = alive ? "node " + h.node() + " holds a valid lease"
                    : "node " + h.node() + " has no valid lease";
        }
        return new Slot(h.jobId(), h.agent(), h.repo(), h.node(), h.runId(), h.pid(), alive, how);
    }
}
