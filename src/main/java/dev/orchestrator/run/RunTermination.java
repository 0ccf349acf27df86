package dev.orchestrator.run;

import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Kill before taking back: the one place where a run's process group is stopped so that its job
 * can be handed on without ever running twice at once. Two cases:
 * <ul>
 * <li>a run this JVM watches is marked with its {@link TerminationReason} and its group is killed
 *     (TERM, grace, KILL) on the node's executor; the exit handler then finishes the job by that
 *     reason ({@link RunCompletion});</li>
 * <li>a run nobody watches (recorded by an earlier incarnation, or a dead node on this host) is
 *     killed here and now if the same process is still alive, and the caller then takes the job
 *     back; a group that survives KILL throws, so that the job stays running and owned.</li>
 * </ul>
 */
public final class RunTermination {
    private static final Logger LOG = Logger.getLogger(RunTermination.class.getName());

    private final NodeContext node;
    private final ActiveRuns active;
    private final ProcessTable processes;
    private final ProcessGroups groups;

    public RunTermination(NodeContext node, ActiveRuns active, ProcessTable processes, ProcessGroups groups) {
        this.node = node;
        this.active = active;
        this.processes = processes;
        this.groups = groups;
    }

    /** Whether this JVM watches {@code runId} of the job (any run when null). */
    public boolean isWatching(long jobId, Long runId) {
        return active.isWatching(jobId, runId);
    }

    /** How many runs this JVM watches. */
    public int watchedCount() {
        return active.size();
    }

    /**
     * Marks the watched run with {@code reason} and kills its group asynchronously. False if the run
     * is not watched here or was already marked (only the first reason counts).
     */
    public boolean terminateWatched(long jobId, long runId, TerminationReason reason) {
        Optional<ActiveRuns.ActiveRun> run = active.get(jobId).filter(r -> r.runId() == runId);
        if (run.isEmpty() || !active.markForTermination(jobId, runId, reason)) {
            return false;
        }
        killAsync(run.get().process().pid());
        return true;
    }

    /** {@link #terminateWatched} for every run this JVM watches; returns how many were marked. */
    public int terminateAllWatched(TerminationReason reason) {
        int marked = 0;
        for (ActiveRuns.ActiveRun r : active.snapshot()) {
            if (terminateWatched(r.jobId(), r.runId(), reason)) {
                marked++;
            }
        }
        return marked;
    }

    /** Kills a group whose run lost its job before it was recorded; its exit then changes nothing. */
    void killAsync(long pgid) {
        node.executor().execute(() -> groups.terminate(pgid, node.killGrace()));
    }

    /**
     * Kills the recorded process group of an unwatched run if the same process (pid, start ticks,
     * boot) is still alive. Returns true if it was alive and is now gone; throws if the group
     * survived KILL.
     */
    public boolean killIfAlive(RunningJob job) {
        if (job.pid() == null || !processes.isSameProcessAlive(job.pid(), job.processStartedAt(),
                job.processStartTicks(), job.bootId())) {
            return false;
        }
        groups.terminateOrThrow(job.pid(), node.killGrace());
        return true;
    }

    /** A run given up by {@link #stopAll}: killed, and marked by that stop. */
    public record GivenUp(long jobId, long runId, Integer exitCode) {
    }

    /**
     * The orderly stop: every watched run whose process still lives gets TERM at once, all share one
     * kill grace, then KILL. Unmarked runs are marked with {@code reason} first, so that their exit
     * is known to be this stop's doing; a run marked for another reason (cancel, timeout) ends by
     * that reason. A run whose process already ended on its own is left to its exit handler.
     * Returns the runs this stop marked and killed, for the caller to hand back; a group that
     * survived KILL is not among them (its job is left running for recovery).
     */
    public List<GivenUp> stopAll(TerminationReason reason) {
        List<ActiveRuns.ActiveRun> live = active.snapshot().stream()
                .filter(r -> r.process().process().isAlive())
                .toList();
        List<ActiveRuns.ActiveRun> marked = live.stream()
                .filter(r -> active.markForTermination(r.jobId(), r.runId(), reason))
                .toList();
        if (!live.isEmpty()) {
            LOG.log(Level.INFO, "stopping: terminating {0} running agent process group(s)", live.size());
        }
        for (ActiveRuns.ActiveRun r : live) {
            groups.sendTerm(r.process().pid());
        }
        long deadline = System.nanoTime() + node.killGrace().toNanos(); // a timeout, not a timestamp: no clock
        List<GivenUp> givenUp = new ArrayList<>();
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
            if (marked.contains(r)) {
                Process p = r.process().process();
                givenUp.add(new GivenUp(r.jobId(), r.runId(), p.isAlive() ? null : p.exitValue()));
            }
        }
        return givenUp;
    }
}
