package dev.orchestrator.reaper;

import dev.orchestrator.run.ActiveRuns;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunRef;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 4: a run of this node past its agent's {@code timeout_seconds} has its whole process
 * group killed (TERM, grace, KILL) and is finished as a failed attempt that says it timed out. The
 * process is always dead before the job can be requeued, so the job never runs twice at once.
 * Kill-switch {@code ORCH_TIMEOUT_BACKSTOP_ENABLED}.
 */
final class TimeoutBackstop {
    private static final Logger LOG = Logger.getLogger(TimeoutBackstop.class.getName());

    private final ProcessTable processes;
    private final ProcessGroups groups;
    private final ActiveRuns active;
    private final RunCompletion completion;
    private final AgentCatalog agents;
    private final String nodeId;
    private final Clock clock;
    private final Duration killGrace;
    private final Executor killer;
    private final QueueEvents events;

    TimeoutBackstop(ProcessTable processes, ProcessGroups groups, ActiveRuns active, RunCompletion completion,
                    AgentCatalog agents, String nodeId, Clock clock, Duration killGrace, Executor killer,
                    QueueEvents events) {
        this.processes = processes;
        this.groups = groups;
        this.active = active;
        this.completion = completion;
        this.agents = agents;
        this.nodeId = nodeId;
        this.clock = clock;
        this.killGrace = killGrace;
        this.killer = killer;
        this.events = events;
    }

    /** Returns the number of rows that failed (logged). */
    int enforce(List<RunningJob> running) {
        int errors = 0;
        Instant now = clock.instant();
        for (RunningJob job : running) {
            if (!nodeId.equals(job.claimedBy()) || job.runId() == null || job.pid() == null
                    || job.runStartedAt() == null) {
                continue;
            }
            try {
                Duration timeout = agents.find(job.agent()).map(AgentDefinition::timeout)
                        .orElse(AgentDefinition.DEFAULT_TIMEOUT);
                if (!job.runStartedAt().plus(timeout).isBefore(now)) {
                    continue;
                }
                String reason = "timed out: ran longer than the agent's timeout_seconds=" + timeout.toSeconds();
                if (active.isWatching(job.id(), job.runId())) {
                    if (active.markForTermination(job.id(), job.runId(), reason)) {
                        LOG.log(Level.WARNING, "job {0} run {1}: {2}; killing process group {3}",
                                new Object[] {job.id(), job.runId(), reason, job.pid()});
                        events.record(QueueEvent.REAPED_TIMEOUT);
                        long pgid = job.pid();
                        // the watcher records the exit with the reason once the group is dead
                        killer.execute(() -> groups.terminate(pgid, killGrace));
                    }
                } else {
                    if (processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.processStartTicks(), job.bootId())) {
                        groups.terminateOrThrow(job.pid(), killGrace);
                    }
                    if (completion.failUnknown(RunRef.of(job), reason)) {
                        events.record(QueueEvent.REAPED_TIMEOUT);
                    }
                }
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "reaper: timeout of job " + job.id() + " could not be enforced; going on", e);
            }
        }
        return errors;
    }
}
