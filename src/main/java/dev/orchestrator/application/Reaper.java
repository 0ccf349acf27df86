package dev.orchestrator.application;

import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.infrastructure.persistence.JobStore;
import dev.orchestrator.infrastructure.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the queue honest. One pass ({@link #runOnce()}) never throws and does, in order:
 * <ol>
 * <li>sanitize: heal queued rows that carry run ownership (kill-switch
 *     {@code ORCH_IMPOSSIBLE_QUEUED_SANITIZE_ENABLED});</li>
 * <li>tier-1 liveness of this node's running jobs that no watcher in this JVM follows: a run is
 *     alive only if its pid exists with the recorded start time under the same boot, so a reused
 *     pid never holds a slot; a claim not yet stamped with a pid is left alone for the spawn grace
 *     period, then requeued.</li>
 * </ol>
 */
public class Reaper {
    private static final Logger LOG = Logger.getLogger(Reaper.class.getName());

    /** The reaper's switches and timings. */
    public record Settings(boolean enabled, boolean sanitizeEnabled, Duration spawnGrace) {
    }

    /** What one pass did. */
    public record Pass(int sanitized, int reapedDeadProcess, int reapedSpawnGrace, int errors) {
        boolean didWork() {
            return sanitized + reapedDeadProcess + reapedSpawnGrace + errors > 0;
        }
    }

    private final JobStore store;
    private final ProcessTable processes;
    private final ActiveRuns active;
    private final NodeIdentity node;
    private final Clock clock;
    private final Settings settings;
    private final QueueEvents events;
    private volatile Runnable slotFreed = () -> { };

    private final AtomicLong ticks = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong impossibleQueuedTotal = new AtomicLong();
    private final AtomicReference<ReaperStatus.LastImpossibleQueued> lastImpossible = new AtomicReference<>();
    private volatile Instant lastTickAt;
    private volatile Long lastTickMs;

    public Reaper(JobStore store, ProcessTable processes, ActiveRuns active, NodeIdentity node, Clock clock,
                  Settings settings, QueueEvents events) {
        this.store = store;
        this.processes = processes;
        this.active = active;
        this.node = node;
        this.clock = clock;
        this.settings = settings;
        this.events = events;
    }

    public void onSlotFreed(Runnable callback) {
        this.slotFreed = callback;
    }

    /** One pass; never throws. */
    public Pass runOnce() {
        if (!settings.enabled()) {
            return new Pass(0, 0, 0, 0);
        }
        long startNanos = System.nanoTime();
        Instant started = clock.instant();
        int sanitized = 0;
        int errorsThisPass = 0;
        try {
            sanitized = sanitizeImpossibleQueuedOnce();
        } catch (RuntimeException e) {
            errorsThisPass++;
            LOG.log(Level.WARNING, "reaper: sanitize failed", e);
        }
        int[] reaped = {0, 0};
        try {
            errorsThisPass += tier1(reaped);
        } catch (RuntimeException e) {
            errorsThisPass++;
            LOG.log(Level.WARNING, "reaper: tier-1 liveness pass failed", e);
        }
        Pass pass = new Pass(sanitized, reaped[0], reaped[1], errorsThisPass);
        ticks.incrementAndGet();
        errors.addAndGet(errorsThisPass);
        lastTickAt = started;
        lastTickMs = Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
        if (pass.didWork()) {
            LOG.log(Level.INFO, "reaper pass: {0}", pass);
        }
        if (reaped[0] + reaped[1] > 0) {
            slotFreed.run();
        }
        return pass;
    }

    /** Heals impossible queued rows if the kill-switch allows; returns how many. */
    public int sanitizeImpossibleQueuedOnce() {
        if (!settings.sanitizeEnabled()) {
            return 0;
        }
        List<ImpossibleQueuedJob> healed = store.sanitizeImpossibleQueued(clock.instant());
        if (healed.isEmpty()) {
            return 0;
        }
        impossibleQueuedTotal.addAndGet(healed.size());
        events.record(QueueEvent.IMPOSSIBLE_QUEUED_HEALED, healed.size());
        lastImpossible.set(new ReaperStatus.LastImpossibleQueued(healed.size(), clock.instant(),
                healed.stream().map(ImpossibleQueuedJob::id).toList()));
        LOG.log(Level.WARNING, "healed {0} impossible queued job(s) (queued while carrying run ownership): {1}",
                new Object[] {healed.size(), healed});
        return healed.size();
    }

    private int tier1(int[] reaped) {
        int failures = 0;
        Instant now = clock.instant();
        for (RunningJob job : store.runningJobs()) {
            if (!node.id().equals(job.claimedBy()) || active.isWatching(job.id(), job.runId())) {
                continue;
            }
            try {
                if (job.pid() == null) {
                    if (job.claimedAt().plus(settings.spawnGrace()).isBefore(now)
                            && store.reapToQueued(job.id(), job.runId(),
                            "reaped: no process was started within the spawn grace period of "
                                    + settings.spawnGrace().toSeconds() + " s", now)) {
                        reaped[1]++;
                        events.record(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED);
                    }
                } else if (!processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.bootId())) {
                    String why = processes.startTime(job.pid()).isPresent()
                            ? "pid " + job.pid() + " now belongs to another process (pid reused)"
                            : "process " + job.pid() + " is gone";
                    if (store.finishFailedAttempt(job.id(), job.runId(), null, false,
                            "reaped: " + why + " and its exit status is unknown", now, now).isPresent()) {
                        reaped[0]++;
                        events.record(QueueEvent.REAPED_DEAD_PROCESS);
                    }
                }
            } catch (RuntimeException e) {
                failures++;
                LOG.log(Level.WARNING, "reaper: job " + job.id() + " could not be checked; going on", e);
            }
        }
        return failures;
    }

    public ReaperStatus status(long recoveredAtStartup) {
        Map<String, Long> reaped = new LinkedHashMap<>();
        reaped.put("dead_process", events.count(QueueEvent.REAPED_DEAD_PROCESS));
        reaped.put("spawn_grace_expired", events.count(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED));
        return new ReaperStatus(settings.enabled(), settings.sanitizeEnabled(), lastTickAt, lastTickMs, ticks.get(),
                errors.get(), impossibleQueuedTotal.get(), lastImpossible.get(), reaped, recoveredAtStartup);
    }
}
