package dev.orchestrator.api;

import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.job.Gate;
import dev.orchestrator.domain.job.JobStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/queue}: counts by status, capacity, gates, pauses, running jobs and the
 * reaper's record.
 */
public record QueueDto(Map<String, Long> counts, int maxConcurrency, Gates gates, Paused paused, List<JobDto> running,
                       ReaperDto reaper, Map<String, Long> waiting) {

    /** Which gates the claim applies; agent_limits from the agents file. */
    public record Gates(boolean serial, boolean dependencies, Map<String, Integer> agentLimits) {
    }

    /** Durable pauses: everything, and/or some repos. */
    public record Paused(boolean all, List<String> repos) {
        static Paused of(List<String> scopes) {
            return new Paused(scopes.contains("*"), scopes.stream().filter(s -> s.startsWith("repo:"))
                    .map(s -> s.substring("repo:".length())).toList());
        }
    }

    static QueueDto of(QueueService.Overview o) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (JobStatus s : JobStatus.values()) {
            counts.put(s.db(), o.counts().getOrDefault(s, 0L));
        }
        return new QueueDto(counts, o.maxConcurrency(),
                new Gates(o.gates().serialGate(), o.gates().dependencyGate(), o.gates().agentLimits()),
                Paused.of(o.pauses()), o.running().stream().map(JobDto::of).toList(), ReaperDto.of(o.reaper(), o.node()),
                waiting(o.waiting()));
    }

    /** Queued jobs per gate that holds them ({@code nothing}: claimable now), every gate present. */
    static Map<String, Long> waiting(Map<Gate, Long> counts) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Gate g : Gate.values()) {
            m.put(g.wire(), counts.getOrDefault(g, 0L));
        }
        return m;
    }
}
