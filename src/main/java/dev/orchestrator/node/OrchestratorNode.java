package dev.orchestrator.node;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.RecoveredJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessLauncher;
import dev.orchestrator.process.ProcessTable;
import dev.orchestrator.reaper.CancellationSweep;
import dev.orchestrator.reaper.CounterCompaction;
import dev.orchestrator.reaper.ImpossibleQueuedSanitizer;
import dev.orchestrator.reaper.LivenessCheck;
import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.reaper.ReaperStatus;
import dev.orchestrator.reaper.TimeoutBackstop;
import dev.orchestrator.retention.RetentionPruner;
import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.Dispatcher;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunStarter;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.run.TerminationReason;
import dev.orchestrator.runfiles.RunFilesLayout;
import dev.orchestrator.store.QueueStores;
import dev.orchestrator.store.WakeChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One server node's queue machinery, wired from plain parts so that tests run exactly what the
 * server runs: stores, dispatcher, starter, completion, termination, recovery, reaper and lease.
 *
 * <p>Start order: register the node, recover earlier incarnations on this host, sanitize, then
 * dispatch. Stop order: stop claiming, kill the process groups of running agents, requeue their
 * jobs without counting an attempt, mark the node stopped (its heartbeats end first, so none can
 * undo that). A run that ended on its own before the
 * stop keeps its real outcome.
 */
public final class OrchestratorNode {
    /** Most starts (attach, spawn, stamp) in flight at once beside the claims. */
    static final int PARALLEL_STARTS = 8;
    private static final Logger LOG = Logger.getLogger(OrchestratorNode.class.getName());

    private final NodeContext context;
    private final QueueStores stores;
    private final ClaimPolicy policy;
    private final ProcessTable processes;
    private final RunTermination termination;
    private final RunCompletion completion;
    private final Dispatcher dispatcher;
    private final DeadNodeRecovery recovery;
    private final ImpossibleQueuedSanitizer sanitizer;
    private final boolean sanitizeEnabled;
    private final CancellationSweep cancellations;
    private final Reaper reaper;
    private final NodeLease lease;
    private final RetentionPruner retention;
    private final WedgeAlarm wedge;
    private final AgentCatalog agents;
    private final java.time.Duration leaseDuration;
    private volatile NodeWakeups wakeups = NodeWakeups.OFF;

    public OrchestratorNode(NodeContext context, NodeSettings settings, NodeSettings.Commands commands,
                            AgentCatalog agents, QueueStores stores, Map<String, String> serverEnv) {
        this.context = context;
        this.stores = stores;
        this.agents = agents;
        this.leaseDuration = settings.lease();
        this.policy = settings.claims();
        this.processes = new ProcessTable(context.identity().bootId());
        ActiveRuns active = new ActiveRuns();
        this.termination = new RunTermination(context, active, processes, new ProcessGroups(commands.kill()));
        this.completion = new RunCompletion(context, stores.finishes(), stores.control(), settings.retry(), active);
        RunFilesLayout runFiles = new RunFilesLayout(settings.runsDir());
        RunStarter starter = new RunStarter(context, stores.claims(), agents,
                new ProcessLauncher(commands.setsid(), processes, settings.killGrace()), active, termination,
                completion, new RunStarter.Places(settings.reposDir(), runFiles), serverEnv);
        this.dispatcher = new Dispatcher(context, stores.claims(), starter, policy, settings.dispatchPollInterval(),
                Math.min(policy.maxConcurrency(), PARALLEL_STARTS));
        this.recovery = new DeadNodeRecovery(context, stores.finishes(), stores.control(), termination, completion,
                agents);

        NodeSettings.ReaperSwitches switches = settings.reaper();
        this.sanitizer = new ImpossibleQueuedSanitizer(context, stores.finishes(), stores.claims());
        this.sanitizeEnabled = switches.sanitize();
        this.cancellations = new CancellationSweep(context, stores.finishes(), termination, completion);
        this.reaper = new Reaper(context, switches.enabled(), sanitizer, List.of(
                Reaper.Step.switchable("sanitize", switches.sanitize(), sanitizer),
                Reaper.Step.always("cancellations", cancellations),
                Reaper.Step.switchable("liveness", switches.liveness(), new LivenessCheck(context, stores.finishes(),
                        processes, termination, completion, agents, switches.spawnGrace())),
                Reaper.Step.switchable("lease_reclaim", switches.leaseReclaim(), new LeaseReclaimer(context,
                        stores.nodes(), stores.finishes(), recovery, settings.lease())),
                Reaper.Step.switchable("timeout_backstop", switches.timeoutBackstop(), new TimeoutBackstop(context,
                        stores.finishes(), termination, completion, agents)),
                Reaper.Step.always("counter_compaction", new CounterCompaction(stores.control()))));
        this.retention = new RetentionPruner(stores.control(), stores.audit(), stores.events(), runFiles,
                settings.retention(), settings.auditRetention(), settings.eventRetention(), context.clock());
        this.lease = new NodeLease(context, stores.nodes(), dispatcher, termination, settings.lease(),
                System::nanoTime);
        this.wedge = new WedgeAlarm(context, stores.claims(), processes, policy, settings.wedgeAlarm(),
                settings.lease(), switches.spawnGrace());
        completion.onSlotFreed(() -> wake(WakeReason.SLOT_FREED));
        reaper.onSlotFreed(() -> wake(WakeReason.SLOT_FREED));
    }

    /**
     * Wakes the other nodes on the database through {@code channel} when work may have become
     * claimable here, and this node on theirs (see {@link NodeWakeups}); call before {@link #prepare}.
     */
    public void wakeAcrossNodes(WakeChannel channel) {
        wakeups = new NodeWakeups(channel, context.id(), dispatcher::wake, context.executor());
    }

    /**
     * Registers the node, takes back the jobs of earlier incarnations on this host whose JVM is
     * gone and of stopped nodes that still own running jobs, and sanitizes; does not start
     * dispatching (see {@link #startDispatching}).
     */
    public List<RecoveredJob> prepare() {
        NodeIdentity node = context.identity();
        stores.nodes().registerNode(node, context.clock().instant());
        List<NodeIdentity> dead = stores.nodes().earlierNodesOnHost(node).stream()
                .filter(n -> !processes.isSameProcessAlive(n.jvmPid(), n.jvmStartedAt(), n.jvmStartTicks(), n.bootId()))
                .toList();
        // earlier incarnations whose JVM is gone are stopped first; then the jobs of every stopped
        // node (also those left over by a failed recovery) are taken back, read in one snapshot
        // with their owner's state
        stores.nodes().markNodesStopped(dead.stream().map(NodeIdentity::id).toList(), context.clock().instant());
        List<NodeIdentity> stopped = stores.nodes().stoppedNodesOwningRunningJobs(node.id());
        List<RecoveredJob> recovered = List.of();
        if (!stopped.isEmpty()) {
            recovered = recovery.recover(stopped, stores.finishes().runningJobsOfStoppedNodes(node.id()),
                    "recovered at start-up: the server that ran this job stopped without finishing it").recovered();
            context.events().record(QueueEvent.RECOVERED_AT_STARTUP, recovered.size());
            wakeups.announce(WakeReason.REQUEUED);
        }
        sanitizeImpossibleQueued();
        return recovered;
    }

    /** Heals impossible queued rows now if the sanitizer's kill-switch allows; returns how many. */
    public int sanitizeImpossibleQueued() {
        return sanitizeEnabled ? sanitizer.runOnce().sanitized() : 0;
    }

    public void startDispatching(ThreadFactory threads) {
        dispatcher.start(threads);
        wakeups.start(threads);
    }

    /**
     * Orderly stop; see the class comment and {@link RunTermination#stopAll}. Bounded by the kill
     * grace period plus a few seconds.
     */
    public void stop() {
        lease.close(); // no heartbeat may rejoin the node after its stop is recorded below
        dispatcher.stop(Duration.ofSeconds(10));
        List<RunTermination.GivenUp> givenUp = termination.stopAll(TerminationReason.NODE_SHUTDOWN);
        for (RunTermination.GivenUp r : givenUp) {
            completion.abandon(r.jobId(), r.runId(), r.exitCode(), TerminationReason.NODE_SHUTDOWN.text()
                    + " (node " + context.id() + ")");
        }
        // after the jobs are handed back: nothing about the wake-ups may hold that up
        wakeups.stop(givenUp.isEmpty() ? null : WakeReason.REQUEUED, Duration.ofSeconds(5));
        stores.nodes().markNodesStopped(List.of(context.id()), context.clock().instant());
        LOG.log(Level.INFO, "node {0} stopped: {1} running job(s) handed back to the queue",
                new Object[] {context.id(), givenUp.size()});
    }

    /** A job was enqueued: look for work now, here and on the other nodes. */
    public void wake() {
        wake(WakeReason.ENQUEUED);
    }

    /** Work may have become claimable: look for it now, here and (ORCH_NOTIFY_ENABLED) on the other nodes. */
    public void wake(WakeReason reason) {
        dispatcher.wake();
        wakeups.announce(reason);
    }

    /** Cancels queued jobs that can no longer run (a dependency failed or was cancelled). */
    public void cancelDoomed() {
        completion.cancelDoomed();
    }

    public NodeContext context() { return context; }
    public QueueStores stores() { return stores; }
    public ClaimPolicy policy() { return policy; }
    public Dispatcher dispatcher() { return dispatcher; }
    public Reaper reaper() { return reaper; }
    public NodeLease lease() { return lease; }
    /** ORCH_NODE_LEASE_SECONDS: how long after its last heartbeat others may reclaim a node's jobs. */
    public java.time.Duration leaseDuration() { return leaseDuration; }
    public RetentionPruner retention() { return retention; }
    public AgentCatalog agents() { return agents; }
    public CancellationSweep cancellations() { return cancellations; }
    public RunTermination termination() { return termination; }

    /** The wedge alarm of this node's view of the queue (see {@link WedgeAlarm}). */
    public WedgeAlarm wedgeAlarm() { return wedge; }

    /** The wedge alarm's state now; for the health check, a metrics gauge, a JMX attribute. */
    public WedgeAlarm.State wedgeState() {
        return wedge.evaluate();
    }

    /** The wake-ups across nodes: connected, reconnects, notifications (for the metrics). */
    public NodeWakeups.Status wakeupStatus() {
        return wakeups.status();
    }

    public ReaperStatus reaperStatus() {
        return reaper.status();
    }
}
