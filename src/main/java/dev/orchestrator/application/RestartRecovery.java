package dev.orchestrator.application;

import dev.orchestrator.domain.job.RecoveredJob;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.infrastructure.persistence.JobStore;
import dev.orchestrator.infrastructure.process.ProcessGroups;
import dev.orchestrator.infrastructure.process.ProcessTable;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * Start-up recovery of the runs of this host's earlier server incarnations that died without a
 * clean stop. A node counts as dead when its JVM (pid + start time, same boot) is gone, so a
 * second live server on the same host is never touched. An orphaned agent process that is still
 * alive (pid, start time and boot id all match) has its whole process group killed first, so the
 * requeued job can never run twice at once; then every such job counts a failed attempt and is
 * requeued with its ownership cleared (or failed when out of attempts).
 */
public class RestartRecovery {
    private static final Logger LOG = Logger.getLogger(RestartRecovery.class.getName());

    private final JobStore store;
    private final ProcessTable processes;
    private final ProcessGroups groups;
    private final Clock clock;
    private final Duration killGrace;
    private final QueueEvents events;

    public RestartRecovery(JobStore store, ProcessTable processes, ProcessGroups groups, Clock clock,
                           Duration killGrace, QueueEvents events) {
        this.store = store;
        this.processes = processes;
        this.groups = groups;
        this.clock = clock;
        this.killGrace = killGrace;
        this.events = events;
    }

    public List<RecoveredJob> recoverEarlierIncarnations(NodeIdentity self) {
        Set<String> dead = store.earlierNodesOnHost(self).stream()
                .filter(n -> !processes.isSameProcessAlive(n.jvmPid(), n.jvmStartedAt(), n.bootId()))
                .map(NodeIdentity::id)
                .collect(Collectors.toSet());
        if (dead.isEmpty()) {
            return List.of();
        }
        for (RunningJob job : store.runningJobs()) {
            if (dead.contains(job.claimedBy()) && job.pid() != null
                    && processes.isSameProcessAlive(job.pid(), job.processStartedAt(), job.bootId())) {
                LOG.log(Level.WARNING, "job {0}: run {1} of dead node {2} left process group {3} alive; killing it "
                        + "before requeueing", new Object[] {job.id(), job.runId(), job.claimedBy(), job.pid()});
                groups.terminate(job.pid(), killGrace);
            }
        }
        List<RecoveredJob> recovered = store.recoverRunningOf(dead,
                "recovered at start-up: the server that ran this job stopped without finishing it", clock.instant());
        store.markNodesStopped(dead, clock.instant());
        events.record(QueueEvent.RECOVERED_AT_STARTUP, recovered.size());
        if (!recovered.isEmpty()) {
            LOG.log(Level.WARNING, "recovered {0} job(s) of earlier server incarnation(s) {1}: {2}",
                    new Object[] {recovered.size(), dead, recovered});
        }
        return recovered;
    }
}
