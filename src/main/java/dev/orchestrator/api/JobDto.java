package dev.orchestrator.api;

import dev.orchestrator.domain.job.Hold;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.run.AgentRun;
import jakarta.json.JsonReader;
import jakarta.json.JsonReaderFactory;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import java.io.StringReader;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A job as the API shows it (snake_case on the wire). {@code runs} and {@code depends_on} are null in lists. */
public record JobDto(long id, String agent, String repo, String status, int priority, int attempts, int maxAttempts,
                     int transientAttempts, Instant availableAt, Long runId, Long pid, Instant startedAt,
                     Instant finishedAt, String error, Instant createdAt, Instant updatedAt, JsonValue payload,
                     Boolean cancelRequested, String submittedBy, List<Long> dependsOn, List<RunDto> runs,
                     List<Map<String, Object>> waitingFor) {

    /** One run of a job. */
    public record RunDto(long id, int attempt, String node, Long pid, Instant processStartedAt, Instant startedAt,
                         Instant finishedAt, Integer exitCode, String outcome, String error) {
        static RunDto of(AgentRun r) {
            return new RunDto(r.id(), r.attempt(), r.nodeId(), r.pid(), instant(r.processStartedAt()),
                    instant(r.startedAt()), instant(r.finishedAt()), r.exitCode(),
                    r.outcome() == null ? null : r.outcome().db(), r.error());
        }
    }

    /** A job in a list: no runs, no dependencies. */
    static JobDto of(Job j) {
        return of(j, null, null);
    }

    static JobDto of(Job j, List<Long> dependsOn, List<AgentRun> runs) {
        return of(j, dependsOn, runs, null);
    }

    /** A job in full; {@code waitingFor} the gates holding a queued job (null otherwise). */
    static JobDto of(Job j, List<Long> dependsOn, List<AgentRun> runs, List<Hold> waitingFor) {
        return new JobDto(j.id(), j.agent(), j.repo(), j.status().db(), j.priority(), j.attempts(), j.maxAttempts(),
                j.transientAttempts(), instant(j.availableAt()), j.runId(), j.pid(), instant(j.startedAt()),
                instant(j.finishedAt()), j.error(), instant(j.createdAt()), instant(j.updatedAt()),
                json(j.payload()), j.cancelRequested(), j.submittedBy(), dependsOn,
                runs == null ? null : runs.stream().map(RunDto::of).toList(),
                waitingFor == null ? null : waitingFor.stream().map(JobDto::hold).toList());
    }

    /** One gate on the wire: {"gate": "repo_busy", "job": 12}, {"gate": "dependency", "jobs": [3, 4]}, ... */
    static Map<String, Object> hold(Hold h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gate", h.gate().wire());
        switch (h.gate()) {
            case REPO_BUSY -> {
                m.put("job", h.jobs().isEmpty() ? null : h.jobs().get(0));
                if (h.jobs().size() > 1) {
                    m.put("jobs", h.jobs());
                }
            }
            case DEPENDENCY -> m.put("jobs", h.jobs());
            case AGENT_LIMIT -> {
                m.put("agent", h.agent());
                m.put("limit", h.limit());
                m.put("running", h.running());
            }
            case PAUSED -> {
                m.put("scope", h.scopes().get(0));
                if (h.scopes().size() > 1) {
                    m.put("scopes", h.scopes());
                }
            }
            case BACKOFF -> m.put("until", h.until().toString());
            case CAPACITY -> {
                m.put("running", h.running());
                m.put("max", h.limit());
            }
            default -> {
            }
        }
        return m;
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }

    /** Looked up once ({@code Json.createReader} asks the {@code ServiceLoader} on every call). */
    private static final JsonReaderFactory READERS = JsonProvider.provider().createReaderFactory(Map.of());

    private static JsonValue json(String text) {
        try (JsonReader r = READERS.createReader(new StringReader(text))) {
            return r.readValue();
        }
    }
}
