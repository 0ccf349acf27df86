package dev.orchestrator.reaper;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunRef;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.run.TerminationReason;
import dev.orchestrator.store.FinishStore;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reaper step 5: a run of this node past its agent's {@code timeout_seconds} has its whole process
 * group killed (TERM, grace, KILL) and is finished as a failed attempt that says it timed out. The
 * process is always dead before the job can be requeued, so the job never runs twice at once.
 * Kill-switch {@code ORCH_TIMEOUT_BACKSTOP_ENABLED}.
 */
public final class TimeoutBackstop implements ReaperStep {
    private static final Logger LOG = Logger.getLogger(TimeoutBackstop.class.getName());

    private final NodeContext node;
    private final FinishStore finishes;
    private final RunTermination termination;
    private final RunCompletion completion;
    private final AgentCatalog agents;

    public TimeoutBackstop(NodeContext node, FinishStore finishes, RunTermination termination,
                           RunCompletion completion, AgentCatalog agents) {
        this.node = node;
        this.finishes = finishes;
        this.termination = termination;
        this.completion = completion;
        this.agents = agents;
    }

    @Override
    public Result runOnce() {
        int reaped = 0;
        int errors = 0;
        Instant now = node.clock().instant();
        for (RunningJob job : finishes.runningJobs()) {
            if (!node.owns(job.claimedBy()) || job.runId() == null || job.pid() == null
                    || job.runStartedAt() == null) {
                continue;
            }
            try {
                Duration timeout = agents.find(job.agent()).map(AgentDefinition::timeout)
                        .orElse(AgentDefinition.DEFAULT_TIMEOUT);
                if (!job.runStartedAt().plus(timeout).isBefore(now) || !enforce(job, timeout)) {
                    continue;
                }
                node.events().record(QueueEvent.REAPED_TIMEOUT);
                reaped++;
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "reaper: timeout of job " + job.id() + " could not be enforced; going on", e);
            }
        }
        return Result.reaped(reaped, errors);
    }

    /** Kills the run of a job past its timeout; true if this pass took the job from its run. */
    private boolean enforce(RunningJob job, Duration timeout) {
        TerminationReason.Timeout reason = new TerminationReason.Timeout(timeout.toSeconds());
        if (termination.isWatching(job.id(), job.runId())) {
            // the watcher records the exit with the reason once the group is dead
            boolean marked = termination.terminateWatched(job.id(), job.runId(), reason);
            if (marked) {
                LOG.log(Level.WARNING, "job {0} run {1}: {2}; killing process group {3}",
                        new Object[] {job.id(), job.runId(), reason.text(), job.pid()});
            }
            return marked;
        }
        termination.killIfAlive(job);
        return completion.failUnknown(RunRef.of(job), reason.text());
    }
}
