package dev.orchestrator.reaper;

import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the queue honest. One pass ({@link #runOnce()}) never throws; one bad row is logged and
 * counted and the pass goes on. The steps run in the order given, each with its own kill-switch;
 * the node wires them in this order:
 * <ol>
 * <li>{@link ImpossibleQueuedSanitizer}: heal impossible queued rows first, so nothing after
 *     (nor the dispatcher) ever sees them;</li>
 * <li>{@link CancellationSweep}: cancel requests for this node's runs, and queued jobs whose
 *     dependency failed (always on: it only carries out what an operator asked for);</li>
 * <li>{@link LivenessCheck}: this node's unwatched runs, judged by pid + start ticks + boot id;</li>
 * <li>lease reclaim: runs of other nodes whose lease expired (a step of the node package);</li>
 * <li>{@link TimeoutBackstop}: this node's runs past their agent's timeout;</li>
 * <li>{@link CounterCompaction}: folds extra job counter rows (always on: it only tidies counters).</li>
 * </ol>
 * Local facts (this node's processes) come before the cluster-wide lease, and the backstop comes
 * last of the steps on runs so that it only ever kills runs that are really still running.
 */
public class Reaper {
    private static final Logger LOG = Logger.getLogger(Reaper.class.getName());

    /**
     * A step of the pass. {@code key} names its switch in {@code GET /api/queue}; a step that
     * {@code runsWhileReaperOff} (cancellations: what operators asked for) also runs when the master
     * switch is off, and has no switch of its own.
     */
    public record Step(String key, boolean enabled, boolean runsWhileReaperOff, ReaperStep step) {
        public static Step switchable(String key, boolean enabled, ReaperStep step) {
            return new Step(key, enabled, false, step);
        }

        public static Step always(String key, ReaperStep step) {
            return new Step(key, true, true, step);
        }
    }

    /** What one pass did: the sum of its steps' results. */
    public record Pass(int sanitized, long reaped, int errors) {
        boolean didWork() {
            return sanitized + reaped + errors > 0;
        }
    }

    private final NodeContext node;
    private final boolean enabled;
    private final ImpossibleQueuedSanitizer sanitizer;
    private final List<Step> steps;
    private volatile Runnable slotFreed = () -> { };

    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile Instant lastTickAt;
    private volatile Long lastTickMs;

    /** @param sanitizer also one of {@code steps}; its totals are part of the status */
    public Reaper(NodeContext node, boolean enabled, ImpossibleQueuedSanitizer sanitizer, List<Step> steps) {
        this.node = node;
        this.enabled = enabled;
        this.sanitizer = sanitizer;
        this.steps = List.copyOf(steps);
    }

    public void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /**
     * One pass; never throws. Passes never overlap: one asked for meanwhile (JMX {@code runNow}
     * beside the timer's tick) waits for the pass in progress.
     */
    public synchronized Pass runOnce() {
        if (!enabled) {
            // the master switch stops the reaper, not what operators asked for: cancel requests made
            // through another node still reach this node's runs
            ReaperStep.Result r = ReaperStep.Result.NOTHING;
            for (Step s : steps) {
                if (s.runsWhileReaperOff()) {
                    r = r.plus(run(s));
                }
            }
            return new Pass(0, 0, r.errors());
        }
        long startNanos = System.nanoTime();
        Instant started = node.clock().instant();
        ReaperStep.Result total = ReaperStep.Result.NOTHING;
        for (Step s : steps) {
            if (s.enabled()) {
                total = total.plus(run(s));
            }
        }
        Pass pass = new Pass(total.sanitized(), total.reaped(), total.errors());
        ticks.incrementAndGet();
        errors.addAndGet(pass.errors());
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

    /** Runs one step; its result, or one error if the step itself failed. */
    private static ReaperStep.Result run(Step s) {
        try {
            return s.step().runOnce();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reaper: " + s.key().replace('_', ' ') + " failed; the pass goes on", e);
            return ReaperStep.Result.errors(1);
        }
    }

    public ReaperStatus status() {
        Map<String, Boolean> switches = new LinkedHashMap<>();
        switches.put("reaper", enabled);
        for (Step s : steps) {
            if (!s.runsWhileReaperOff()) {
                switches.put(s.key(), enabled && s.enabled());
            }
        }
        return new ReaperStatus(switches, lastTickAt, lastTickMs, ticks.get(), errors.get(), sanitizer.total(),
                sanitizer.last(), reapedByReason(), count(QueueEvent.ORPHANS_KILLED),
                count(QueueEvent.FINISHED_FROM_EXIT_FILE), count(QueueEvent.RECOVERED_AT_STARTUP));
    }

    private Map<String, Long> reapedByReason() {
        Map<String, Long> reaped = new LinkedHashMap<>();
        reaped.put("dead_process", count(QueueEvent.REAPED_DEAD_PROCESS));
        reaped.put("pid_reused", count(QueueEvent.REAPED_PID_REUSED));
        reaped.put("spawn_grace_expired", count(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED));
        reaped.put("lease_expired", count(QueueEvent.REAPED_LEASE_EXPIRED));
        reaped.put("timeout", count(QueueEvent.REAPED_TIMEOUT));
        return reaped;
    }

    private long count(QueueEvent e) {
        return node.events().count(e);
    }
}
