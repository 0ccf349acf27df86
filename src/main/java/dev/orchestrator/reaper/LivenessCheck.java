package dev.orchestrator.reaper;

import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunRef;
import dev.orchestrator.runfiles.ExitFiles;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.store.JobStore;
import dev.orchestrator.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 2 (tier 1): liveness of this node's running jobs that no watcher in this JVM follows.
 * A run is alive only if a process with its pid exists, its start time equals the recorded one and
 * the host's boot id matches: a reused pid never holds a slot. A dead run is finished as the
 * launcher would have finished it, from its exit file when the wrapper left one, else as a failed
 * attempt. A claim not yet stamped with a pid is left alone for the spawn grace period, then
 * requeued (nothing ran, so no attempt is counted).
 */
final class LivenessCheck {
    private static final Logger LOG = Logger.getLogger(LivenessCheck.class.getName());

    private final JobStore store;
    private final ProcessTable processes;
    private final ActiveRuns active;
    private final RunCompletion completion;
    private final AgentCatalog agents;
    private final String nodeId;
    private final Clock clock;
    private final Duration spawnGrace;
    private final QueueEvents events;

    LivenessCheck(JobStore store, ProcessTable processes, ActiveRuns active, RunCompletion completion,
                  AgentCatalog agents, String nodeId, Clock clock, Duration spawnGrace, QueueEvents events) {
        this.store = store;
        this.processes = processes;
        this.active = active;
        this.completion = completion;
        this.agents = agents;
        this.nodeId = nodeId;
        this.clock = clock;
        this.spawnGrace = spawnGrace;
        this.events = events;
    }

    /** Checks every unwatched run of this node; returns the number of rows that failed (logged). */
    int check(List<RunningJob> running) {
        int errors = 0;
        for (RunningJob job : running) {
            if (!nodeId.equals(job.claimedBy()) || active.isWatching(job.id(), job.runId())) {
                continue;
            }
            try {
                checkOne(job, clock.instant());
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "reaper: job " + job.id() + " could not be checked; going on", e);
            }
        }
        return errors;
    }

    private void checkOne(RunningJob job, Instant now) {
        if (job.pid() == null) {
            if (job.claimedAt().plus(spawnGrace).isBefore(now) && store.reapUnstartedToQueued(job.id(), job.runId(),
                    "reaped: no process was started within the spawn grace period of " + spawnGrace.toSeconds()
                            + " s", now)) {
                events.record(QueueEvent.REAPED_SPAWN_GRACE_EXPIRED);
            }
            return;
        }
        if (processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.processStartTicks(), job.bootId())) {
            return;
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
            events.record(reused ? QueueEvent.REAPED_PID_REUSED : QueueEvent.REAPED_DEAD_PROCESS);
            if (exit.isPresent()) {
                events.record(QueueEvent.FINISHED_FROM_EXIT_FILE);
            }
        }
    }
}
