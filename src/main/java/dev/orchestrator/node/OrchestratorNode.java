package dev.orchestrator.node;

import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.reaper.ReaperStatus;
import dev.orchestrator.retention.RetentionPruner;
import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.BackoffPolicy;
import dev.orchestrator.run.Dispatcher;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.run.RetryRules;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunStarter;
import dev.orchestrator.service.JobControl;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.RecoveredJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.store.JobStore;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessLauncher;
import dev.orchestrator.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One server node's queue machinery, wired from plain parts so that tests run exactly what the
 * server runs: store, dispatcher, launcher, completion, recovery, reaper and lease.
 *
 * <p>Start order: register the node, recover earlier incarnations on this host, sanitize, then
 * dispatch. Stop order: stop claiming, kill the process groups of running agents, requeue their
 * jobs without counting an attempt, mark the node stopped. A run that ended on its own before the
 * stop keeps its real outcome.
 */
public final class OrchestratorNode {
    private static final Logger LOG = Logger.getLogger(OrchestratorNode.class.getName());
    /** Most starts (attach, spawn, stamp) in flight at once beside the claims. */
    static final int PARALLEL_STARTS = 4;

    /** The OS commands the node relies on (resolved and checked at start-up). */
    public record Commands(String setsid, String kill) {
    }

    private final NodeIdentity node;
    private final JobStore store;
    private final Clock clock;
    private final ActiveRuns active = new ActiveRuns();
    private final QueueEvents events = new QueueEvents();
    private final ProcessTable processes;
    private final ProcessGroups groups;
    private final RunCompletion completion;
    private final Dispatcher dispatcher;
    private final DeadNodeRecovery recovery;
    private final Reaper reaper;
    private final NodeLease lease;
    private final JobControl control;
    private final RetentionPruner retention;
    private final Duration killGrace;

    public OrchestratorNode(OrchestratorConfig config, AgentCatalog agents, JobStore store, NodeIdentity node,
                            Clock clock, Commands commands, Map<String, String> serverEnv, Executor executor) {
        this(config, agents, store, node, clock, commands, serverEnv, executor, new java.util.Random()::nextDouble);
    }

    /** @param jitter random values in [0, 1) for the transient back-off's full jitter */
    public OrchestratorNode(OrchestratorConfig config, AgentCatalog agents, JobStore store, NodeIdentity node,
                            Clock clock, Commands commands, Map<String, String> serverEnv, Executor executor,
                            java.util.function.DoubleSupplier jitter) {
        this.node = node;
        this.store = store;
        this.clock = clock;
        this.killGrace = config.killGrace();
        this.processes = new ProcessTable(node.bootId());
        this.groups = new ProcessGroups(commands.kill());
        this.completion = new RunCompletion(store, clock, new RetryRules(
                new BackoffPolicy(config.transientBackoffBase(), config.transientBackoffMax(), jitter),
                config.maxTransientAttempts(), config.transientOutputPatterns(), config.transientOutputLines()),
                active, events);
        RunStarter starter = new RunStarter(store, agents, new ProcessLauncher(commands.setsid(), processes, config.killGrace()), groups,
                completion, active, events, node, clock, config.reposDir(), config.runsDir(), config.killGrace(),
                serverEnv, executor);
        this.dispatcher = new Dispatcher(store, starter, node, clock,
                new ClaimPolicy(config.maxConcurrency(), config.serialGateEnabled(), config.taskDepsEnabled(),
                        agents.limits()),
                config.dispatchPollInterval(), events, executor, Math.min(config.maxConcurrency(), PARALLEL_STARTS));
        this.recovery = new DeadNodeRecovery(store, processes, groups, completion, agents, node, clock,
                config.killGrace(), events);
        this.reaper = new Reaper(store, processes, groups, active, completion, recovery, agents, node, clock,
                new Reaper.Settings(config.reaperEnabled(), config.impossibleQueuedSanitizeEnabled(),
                        config.livenessCheckEnabled(), config.leaseReclaimEnabled(), config.timeoutBackstopEnabled(),
                        config.spawnGrace(), config.nodeLease(), config.killGrace()),
                executor, events);
        this.retention = new RetentionPruner(store, config.runsDir(), Duration.ofDays(config.retentionDays()), clock);
        this.control = new JobControl(store, reaper.cancellations(), completion, dispatcher, node.id(), clock);
        this.lease = new NodeLease(store, node, dispatcher, active, groups, config.nodeLease(), config.killGrace(),
                executor, clock, System::nanoTime);
        completion.onSlotFreed(dispatcher::wake);
        reaper.onSlotFreed(dispatcher::wake);
    }

    /**
     * Registers the node, takes back the jobs of earlier incarnations on this host whose JVM is
     * gone and of stopped nodes that still own running jobs, and sanitizes; does not start
     * dispatching (see {@link #startDispatching}).
     */
    public List<RecoveredJob> prepare() {
        store.registerNode(node, clock.instant());
        List<NodeIdentity> dead = store.earlierNodesOnHost(node).stream()
                .filter(n -> !processes.isSameProcessAlive(n.jvmPid(), n.jvmStartedAt(), n.jvmStartTicks(), n.bootId()))
                .toList();
        // earlier incarnations whose JVM is gone are stopped first; then the jobs of every stopped
        // node (also those left over by a failed recovery) are taken back, read in one snapshot
        // with their owner's state
        store.markNodesStopped(dead.stream().map(NodeIdentity::id).toList(), clock.instant());
        List<NodeIdentity> stopped = store.stoppedNodesOwningRunningJobs(node.id());
        List<RecoveredJob> recovered = List.of();
        if (!stopped.isEmpty()) {
            recovered = recovery.recover(stopped, store.runningJobsOfStoppedNodes(node.id()),
                    "recovered at start-up: the server that ran this job stopped without finishing it").recovered();
            events.record(QueueEvent.RECOVERED_AT_STARTUP, recovered.size());
        }
        reaper.sanitizeImpossibleQueuedOnce();
        return recovered;
    }

    public void startDispatching(ThreadFactory threads) {
        dispatcher.start(threads);
    }

    /** Orderly stop; see the class comment. Bounded by the kill grace period plus a few seconds. */
    public void stop() {
        dispatcher.stop(Duration.ofSeconds(10));
        // Every run whose process still lives is killed, also one already being killed for another
        // reason (timeout, cancel): the node is marked stopped below, and another node may then
        // take its jobs back. Unmarked runs are marked first, so that their exit is known to be
        // this stop's doing and they are requeued uncounted; a run marked for another reason ends
        // by that reason. A run whose process already ended on its own is left to its exit
        // handler, which records its real outcome (or, if the handler never runs, the next node
        // finishes it from its exit file).
        List<ActiveRuns.ActiveRun> live = active.snapshot().stream()
                .filter(r -> r.process().process().isAlive())
                .toList();
        java.util.Set<ActiveRuns.ActiveRun> givenUp = live.stream()
                .filter(r -> active.markForTermination(r.jobId(), r.runId(), RunCompletion.NODE_SHUTDOWN))
                .collect(java.util.stream.Collectors.toSet());
        if (!live.isEmpty()) {
            LOG.log(Level.INFO, "stopping: terminating {0} running agent process group(s)", live.size());
        }
        for (ActiveRuns.ActiveRun r : live) {
            groups.sendTerm(r.process().pid());
        }
        long deadline = System.nanoTime() + killGrace.toNanos(); // a timeout, not a timestamp: no clock
        for (ActiveRuns.ActiveRun r : live) {
            long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            try {
                r.process().process().waitFor(left, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!groups.terminate(r.process().pid(), Duration.ZERO)) {
                LOG.log(Level.SEVERE, "stopping: process group {0} of job {1} survived KILL; its job is left "
                        + "running for recovery", new Object[] {r.process().pid(), r.jobId()});
                continue;
            }
            if (givenUp.contains(r)) {
                Integer exit = r.process().process().isAlive() ? null : r.process().process().exitValue();
                completion.abandon(r.jobId(), r.runId(), exit, RunCompletion.NODE_SHUTDOWN + " (node " + node.id()
                        + ")");
            }
        }
        store.markNodesStopped(List.of(node.id()), clock.instant());
    }

    public void wake() {
        dispatcher.wake();
    }

    /** Cancels queued jobs that can no longer run (a dependency failed or was cancelled). */
    public void cancelDoomed() {
        completion.cancelDoomed();
    }

    public NodeIdentity node() { return node; }
    public JobStore store() { return store; }
    public Dispatcher dispatcher() { return dispatcher; }
    public Reaper reaper() { return reaper; }
    public NodeLease lease() { return lease; }
    public DeadNodeRecovery recovery() { return recovery; }
    public JobControl control() { return control; }
    public RetentionPruner retention() { return retention; }
    public QueueEvents events() { return events; }
    public ActiveRuns active() { return active; }

    public ReaperStatus reaperStatus() {
        return reaper.status(lease.status());
    }
}
