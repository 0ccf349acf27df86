package dev.orchestrator.application;

import dev.orchestrator.infrastructure.process.LaunchedProcess;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The runs whose processes this JVM started and is watching, by job id. */
public final class ActiveRuns {
    /** A watched run. */
    public record ActiveRun(long jobId, long runId, LaunchedProcess process) {
    }

    private final Map<Long, ActiveRun> byJob = new ConcurrentHashMap<>();

    void add(ActiveRun run) {
        byJob.put(run.jobId(), run);
    }

    void remove(long jobId, long runId) {
        byJob.computeIfPresent(jobId, (id, r) -> r.runId() == runId ? null : r);
    }

    public boolean isWatching(long jobId, Long runId) {
        ActiveRun r = byJob.get(jobId);
        return r != null && (runId == null || r.runId() == runId);
    }

    public List<ActiveRun> snapshot() {
        return List.copyOf(byJob.values());
    }

    public int size() {
        return byJob.size();
    }
}
