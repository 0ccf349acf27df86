package dev.orchestrator.reaper;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.process.ProcessTable;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunRef;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.runfiles.ExitFiles;
import dev.orchestrator.store.FinishStore;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 2 (tier 1): liveness of this node's running jobs that no watcher in this JVM follows.
 * A run is alive only if a process with its pid exists, its start ticks equal the recorded ones and
 * the host's boot id matches: a reused pid never holds a slot. A dead run is finished as the
 * launcher would have finished it, from its exit file when the wrapper left one, else as a failed
 * attempt. A claim not yet stamped with a pid is left alone for the spawn grace period, then
 * requeued (nothing ran, so no attempt is counted). Kill-switch {@code ORCH_LIVENESS_CHECK_ENABLED}.
 */
public final class LivenessCheck implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(LivenessCheck.class.getName());

    private final NodeContext node;
    private final FinishStore finishes;
    private final ProcessTable processes;
    private final RunTermination termination;
    private final RunCompletion completion;
    private final AgentCatalog agents;
    private final Duration spawnGrace;

    public LivenessCheck(NodeContext node, FinishStore finishes, ProcessTable processes, RunTermination termination,
                         RunCompletion completion, AgentCatalog agents, Duration spawnGrace) {
        this.node = node;
        this.finishes = finishes;
        this.processes = processes;
        this.termination = termination;
        this.completion = completion;
        this.agents = agents;
        this.spawnGrace = spawnGrace;
    }

    /** Checks every unwatched run of this node. */
    @Override
    public Result runOnce() {
        int reaped = 0;
        int errors = 0;
        for (RunningJob job : finishes.runningJobs()) {
            if (!node.owns(job.claimedBy()) || termination.isWatching(job.id(), job.runId())) {
                continue;
            }
            try {
                if (checkOne(job, node.clock().instant())) {
                    reaped++;
                }
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "reaper: job " + job.id() + " could not be checked; going on", e);
            }
        }
        return Result.reaped(reaped, errors);
    }

    /** True if the job was taken back from its dead (or never started) run. */
    private boolean checkOne(RunningJob job, Instant now) {
        if (job.pid() == null) {
            if (job.claimedAt().plus(spawnGrace).isBefore(now) && finishes.reapUnstartedToQueued(job.id(),
                    job.runId(), "reaped: no process was started within the spawn grace period of "
                            + spawnGrace.toSeconds() + " s", now)) {
                node.events().record(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED);
                return true;
            }
            return false;
        }
        if (processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.processStartTicks(), job.bootId())) {
            return false;
        }
        boolean reused = processes.startTicks(job.pid()).isPresent()
                && processes.currentBootId().equals(job.bootId());
        String why = reused ? "pid " + job.pid() + " now belongs to another process (pid reused)"
                : "process " + job.pid() + " is gone";
        Optional<Integer> exit = ExitFiles.read(job.runDir());
        boolean won = exit.isPresent()
                ? completion.finishFromExitStatus(RunRef.of(job), agents.find(job.agent()).orElse(null), exit.get(),
                        "reaped: " + why + "; finished from its exit file")
                : completion.failUnknown(RunRef.of(job), "reaped: " + why + " and its exit status is unknown");
        if (won) {
            node.events().record(reused ? QueueEvent.REAPED_PID_REUSED : QueueEvent.REAPED_DEAD_PROCESS);
            if (exit.isPresent()) {
                node.events().record(QueueEvent.FINISHED_FROM_EXIT_FILE);
            }
        }
        return won;
    }
}
