package dev.orchestrator.interfaces.rest;

import dev.orchestrator.application.QueueService;
import dev.orchestrator.application.ReaperStatus;
import dev.orchestrator.domain.job.JobStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /api/queue}: counts by status, capacity, running jobs and the reaper's record. */
public record QueueDto(Map<String, Long> counts, int maxConcurrency, List<JobDto> running, ReaperStatus reaper) {
    static QueueDto of(QueueService.Overview o) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (JobStatus s : JobStatus.values()) {
            counts.put(s.db(), o.counts().getOrDefault(s, 0L));
        }
        return new QueueDto(counts, o.maxConcurrency(), o.running().stream().map(j -> JobDto.of(j, null)).toList(),
                o.reaper());
    }
}
