package dev.orchestrator.reaper;

import dev.orchestrator.node.DeadNodeRecovery;
import dev.orchestrator.node.LeaseReclaimer;
import dev.orchestrator.node.NodeLease;
import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.run.RunCompletion;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.store.JobStore;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the queue honest. One pass ({@link #runOnce()}) never throws; one bad row is logged and
 * counted and the pass goes on. In order, each step with its own kill-switch:
 * <ol>
 * <li>{@link ImpossibleQueuedSanitizer}: heal impossible queued rows first, so nothing after
 *     (nor the dispatcher) ever sees them;</li>
 * <li>{@link CancellationSweep}: cancel requests for this node's runs, and queued jobs whose
 *     dependency failed (always on: it only carries out what an operator asked for);</li>
 * <li>{@link LivenessCheck}: this node's unwatched runs, judged by pid + start time + boot id;</li>
 * <li>{@link LeaseReclaimer}: runs of other nodes whose lease expired;</li>
 * <li>{@link TimeoutBackstop}: this node's runs past their agent's timeout.</li>
 * </ol>
 * Local facts (this node's processes) come before the cluster-wide lease, and the backstop comes
 * last so that it only ever kills runs that are really still running.
 */
public class Reaper {
    private static final Logger LOG = Logger.getLogger(Reaper.class.getName());

    /** The reaper's switches and timings. */
    public record Settings(boolean enabled, boolean sanitizeEnabled, boolean livenessEnabled,
                           boolean leaseReclaimEnabled, boolean backstopEnabled, Duration spawnGrace,
                           Duration lease, Duration killGrace) {
    }

    /** What one pass did. */
    public record Pass(int sanitized, long reaped, int errors) {
        boolean didWork() {
            return sanitized + reaped + errors > 0;
        }
    }

    private final JobStore store;
    private final Settings settings;
    private final Clock clock;
    private final QueueEvents events;
    private final ImpossibleQueuedSanitizer sanitizer;
    private final LivenessCheck liveness;
    private final LeaseReclaimer leases;
    private final TimeoutBackstop backstop;
    private final CancellationSweep cancellations;
    private volatile Runnable slotFreed = () -> { };

    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile Instant lastTickAt;
    private volatile Long lastTickMs;

    public Reaper(JobStore store, ProcessTable processes, ProcessGroups groups, ActiveRuns active,
                  RunCompletion completion, DeadNodeRecovery recovery, AgentCatalog agents, NodeIdentity node,
                  Clock clock, Settings settings, Executor killer, QueueEvents events) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.events = events;
        this.sanitizer = new ImpossibleQueuedSanitizer(store, clock, events);
        this.liveness = new LivenessCheck(store, processes, active, completion, agents, node.id(), clock,
                settings.spawnGrace(), events);
        this.leases = new LeaseReclaimer(store, recovery, node.id(), settings.lease(), events);
        this.backstop = new TimeoutBackstop(processes, groups, active, completion, agents, node.id(), clock,
                settings.killGrace(), killer, events);
        this.cancellations = new CancellationSweep(processes, groups, active, completion, node.id(),
                settings.killGrace(), killer);
    }

    public void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /** One pass; never throws. */
    public Pass runOnce() {
        if (!settings.enabled()) {
            // the master switch stops the reaper, not what operators asked for: cancel requests made
            // through another node still reach this node's runs
            int failures = step("cancellations", true, () -> cancellations.sweep(store.runningJobs()));
            return new Pass(0, 0, failures);
        }
        long startNanos = System.nanoTime();
        Instant started = clock.instant();
        long reapedBefore = reapedTotal();
        int[] sanitized = {0};
        int failures = 0;
        failures += step("sanitize", settings.sanitizeEnabled(), () -> {
            sanitized[0] = sanitizer.sanitizeOnce();
            return 0;
        });
        failures += step("cancellations", true, () -> cancellations.sweep(store.runningJobs()));
        failures += step("liveness", settings.livenessEnabled(), () -> liveness.check(store.runningJobs()));
        failures += step("lease reclaim", settings.leaseReclaimEnabled(), leases::reclaimOnce);
        failures += step("timeout backstop", settings.backstopEnabled(), () -> backstop.enforce(store.runningJobs()));
        Pass pass = new Pass(sanitized[0], reapedTotal() - reapedBefore, failures);
        ticks.incrementAndGet();
        errors.addAndGet(failures);
        lastTickAt = started;
        lastTickMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        if (pass.didWork()) {
            LOG.log(Level.INFO, "reaper pass: sanitized {0}, reaped {1}, errors {2} ({3} ms)",
                    new Object[] {pass.sanitized(), pass.reaped(), pass.errors(), lastTickMs});
        }
        if (pass.reaped() > 0) {
            slotFreed.run();
        }
        return pass;
    }

    /** Runs one step if enabled; its row errors, or 1 if the step itself failed. */
    private static int step(String name, boolean enabled, IntSupplier body) {
        if (!enabled) {
            return 0;
        }
        try {
            return body.getAsInt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reaper: " + name + " failed; the pass goes on", e);
            return 1;
        }
    }

    public CancellationSweep cancellations() {
        return cancellations;
    }

    /** Heals impossible queued rows if the kill-switch allows; returns how many. */
    public int sanitizeImpossibleQueuedOnce() {
        return settings.sanitizeEnabled() ? sanitizer.sanitizeOnce() : 0;
    }

    private long reapedTotal() {
        return reapedByReason().values().stream().mapToLong(Long::longValue).sum();
    }

    private Map<String, Long> reapedByReason() {
        Map<String, Long> reaped = new LinkedHashMap<>();
        reaped.put("dead_process", events.count(QueueEvent.REAPED_DEAD_PROCESS));
        reaped.put("pid_reused", events.count(QueueEvent.REAPED_PID_REUSED));
        reaped.put("spawn_grace_expired", events.count(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED));
        reaped.put("lease_expired", events.count(QueueEvent.REAPED_LEASE_EXPIRED));
        reaped.put("timeout", events.count(QueueEvent.REAPED_TIMEOUT));
        return reaped;
    }

    public ReaperStatus status(NodeLease.Status lease) {
        Map<String, Boolean> enabled = new LinkedHashMap<>();
        enabled.put("reaper", settings.enabled());
        enabled.put("sanitize", settings.enabled() && settings.sanitizeEnabled());
        enabled.put("liveness", settings.enabled() && settings.livenessEnabled());
        enabled.put("lease_reclaim", settings.enabled() && settings.leaseReclaimEnabled());
        enabled.put("timeout_backstop", settings.enabled() && settings.backstopEnabled());
        return new ReaperStatus(enabled, lastTickAt, lastTickMs, ticks.get(), errors.get(), sanitizer.total(),
                sanitizer.last(), reapedByReason(), events.count(QueueEvent.ORPHANS_KILLED),
                events.count(QueueEvent.FINISHED_FROM_EXIT_FILE), events.count(QueueEvent.RECOVERED_AT_STARTUP),
                lease);
    }
}
