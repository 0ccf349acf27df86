package dev.orchestrator.run;

import dev.orchestrator.process.LaunchedProcess;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** The runs whose processes this JVM started and is watching, by job id. */
public final class ActiveRuns {
    /**
     * A watched run. {@code terminationReason} is set when this node decided to kill the run
     * (cancel, timeout, fencing, shutdown), so that its exit is recorded by that reason rather than
     * as a bare signal.
     */
    public record ActiveRun(long jobId, long runId, LaunchedProcess process,
                            AtomicReference<TerminationReason> terminationReason) {
        public ActiveRun(long jobId, long runId, LaunchedProcess process) {
            this(jobId, runId, process, new AtomicReference<>());
        }
    }

    private final Map<Long, ActiveRun> byJob = new ConcurrentHashMap<>();

    void add(ActiveRun run) {
        byJob.put(run.jobId(), run);
    }

    void remove(long jobId, long runId) {
        byJob.computeIfPresent(jobId, (id, r) -> r.runId() == runId ? null : r);
    }

    /** Marks a watched run for termination; false if it is not watched or already marked. */
    boolean markForTermination(long jobId, long runId, TerminationReason reason) {
        ActiveRun r = byJob.get(jobId);
        return r != null && r.runId() == runId && r.terminationReason().compareAndSet(null, reason);
    }

    Optional<TerminationReason> terminationReason(long jobId, long runId) {
        ActiveRun r = byJob.get(jobId);
        return r == null || r.runId() != runId ? Optional.empty() : Optional.ofNullable(r.terminationReason().get());
    }

    Optional<ActiveRun> get(long jobId) {
        return Optional.ofNullable(byJob.get(jobId));
    }

    boolean isWatching(long jobId, Long runId) {
        ActiveRun r = byJob.get(jobId);
        return r != null && (runId == null || r.runId() == runId);
    }

    List<ActiveRun> snapshot() {
        return List.copyOf(byJob.values());
    }

    int size() {
        return byJob.size();
    }
}
