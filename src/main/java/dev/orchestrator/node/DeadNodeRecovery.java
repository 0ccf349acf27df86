package dev.orchestrator.node;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.RecoveredJob;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.RunCompletion;
import dev.orchestrator.run.RunRef;
import dev.orchestrator.run.RunTermination;
import dev.orchestrator.runfiles.ExitFiles;
import dev.orchestrator.store.ControlStore;
import dev.orchestrator.store.FinishStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Takes back the running jobs of dead nodes (earlier incarnations found at start-up, or nodes whose
 * lease expired), one fenced statement per job, following the recovery matrix:
 * <table>
 * <tr><th>recorded process</th><th>exit file</th><th>action</th></tr>
 * <tr><td>alive (same host and boot, pid and start ticks match)</td><td>-</td>
 *     <td>kill its process group, then a failed attempt (requeued or failed by attempts)</td></tr>
 * <tr><td>gone (or another boot)</td><td>present</td><td>finish with that exit status</td></tr>
 * <tr><td>gone (or another boot)</td><td>absent</td><td>a failed attempt</td></tr>
 * <tr><td>never started (no run)</td><td>-</td><td>requeued, attempt not counted</td></tr>
 * </table>
 * Killing first means a job is never requeued while its old process still runs on this host.
 */
public class DeadNodeRecovery {
    private static final Logger LOG = Logger.getLogger(DeadNodeRecovery.class.getName());

    private final NodeContext self;
    private final FinishStore finishes;
    private final ControlStore control;
    private final RunTermination termination;
    private final RunCompletion completion;
    private final AgentCatalog agents;

    public DeadNodeRecovery(NodeContext self, FinishStore finishes, ControlStore control, RunTermination termination,
                            RunCompletion completion, AgentCatalog agents) {
        this.self = self;
        this.finishes = finishes;
        this.control = control;
        this.termination = termination;
        this.completion = completion;
        this.agents = agents;
    }

    /** Result of one recovery: the jobs taken back, and how many rows failed (logged, skipped). */
    public record Result(List<RecoveredJob> recovered, int errors) {
    }

    /**
     * Recovers those of {@code running} owned by one of {@code deadNodes}; the caller chose the jobs
     * (for stopped nodes: read in one snapshot with the nodes' state).
     */
    public Result recover(List<NodeIdentity> deadNodes, List<RunningJob> running, String why) {
        Map<String, NodeIdentity> byId = deadNodes.stream()
                .collect(Collectors.toMap(NodeIdentity::id, Function.identity(), (a, b) -> a));
        List<RecoveredJob> recovered = new ArrayList<>();
        int errors = 0;
        for (RunningJob job : running) {
            NodeIdentity owner = byId.get(job.claimedBy());
            if (owner == null) {
                continue;
            }
            try {
                recoverOne(job, owner, why).ifPresent(recovered::add);
            } catch (RuntimeException e) {
                errors++;
                LOG.log(Level.WARNING, "recovery of job " + job.id() + " failed; going on", e);
            }
        }
        if (!recovered.isEmpty()) {
            LOG.log(Level.WARNING, "{0}: took back {1} job(s) of node(s) {2}: {3}",
                    new Object[] {why, recovered.size(), byId.keySet(), recovered});
        }
        return new Result(recovered, errors);
    }

    private Optional<RecoveredJob> recoverOne(RunningJob job, NodeIdentity owner, String why) {
        if (job.runId() == null || job.pid() == null) {
            // claimed (maybe with a run row) but no process was ever stamped: nothing ran, so no
            // attempt is counted; a cancel request ends it cancelled
            if (job.cancelRequested()) {
                return taken(job, completion.cancelled(job.id(), job.runId(), null, job.agent()), JobStatus.CANCELLED);
            }
            return taken(job, finishes.reapUnstartedToQueued(job.id(), job.runId(), why
                    + "; no process had been started", self.clock().instant()), JobStatus.QUEUED);
        }
        // a process on another host is not ours to judge: its own wrapper kills it with its server
        boolean killed = owner.host().equals(self.identity().host()) && termination.killIfAlive(job);
        if (killed) {
            LOG.log(Level.WARNING, "job {0}: run {1} of dead node {2} left process group {3} alive; killed it "
                    + "before the job is taken back", new Object[] {job.id(), job.runId(), owner.id(), job.pid()});
            self.events().record(QueueEvent.ORPHANS_KILLED);
        }
        if (job.cancelRequested()) {
            return taken(job, completion.cancelled(job.id(), job.runId(), null, job.agent()), JobStatus.CANCELLED);
        }
        RunRef ref = RunRef.of(job);
        Optional<Integer> exit = killed ? Optional.empty() : ExitFiles.read(job.runDir());
        boolean won;
        if (exit.isPresent()) {
            won = completion.finishFromExitStatus(ref, agents.find(job.agent()).orElse(null), exit.get(),
                    "finished from its exit file; " + why);
            if (won) {
                self.events().record(QueueEvent.FINISHED_FROM_EXIT_FILE);
            }
        } else {
            won = completion.failUnknown(ref, why + (killed ? "; its orphaned process was killed"
                    : "; its exit status is unknown"));
        }
        return won ? Optional.of(new RecoveredJob(job.id(), job.runId(), control.statusOf(job.id()).orElse(null)))
                : Optional.empty();
    }

    private static Optional<RecoveredJob> taken(RunningJob job, boolean won, JobStatus status) {
        return won ? Optional.of(new RecoveredJob(job.id(), job.runId(), status)) : Optional.empty();
    }
}
