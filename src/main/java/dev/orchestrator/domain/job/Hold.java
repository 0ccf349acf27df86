package dev.orchestrator.domain.job;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One gate holding a queued job, with what holds it. Only the fields of its gate are set:
 * {@code jobs} for {@link Gate#REPO_BUSY} (the running job(s) of the repo) and {@link Gate#DEPENDENCY}
 * (the dependencies not yet done), {@code agent}, {@code running} and {@code limit} for
 * {@link Gate#AGENT_LIMIT}, {@code scopes} for {@link Gate#PAUSED} ({@code *} or {@code repo:NAME}),
 * {@code until} for {@link Gate#BACKOFF}, {@code running} and {@code limit} (max concurrency) for
 * {@link Gate#CAPACITY}.
 */
public record Hold(Gate gate, List<Long> jobs, String agent, Long running, Integer limit, List<String> scopes,
                   Instant until) {
    public Hold {
        Objects.requireNonNull(gate);
        jobs = jobs == null ? null : List.copyOf(jobs);
        scopes = scopes == null ? null : List.copyOf(scopes);
    }

    public static Hold repoBusy(List<Long> runningJobs) {
        return new Hold(Gate.REPO_BUSY, runningJobs, null, null, null, null, null);
    }

    public static Hold dependency(List<Long> notDone) {
        return new Hold(Gate.DEPENDENCY, notDone, null, null, null, null, null);
    }

    public static Hold agentLimit(String agent, long running, int limit) {
        return new Hold(Gate.AGENT_LIMIT, null, agent, running, limit, null, null);
    }

    public static Hold paused(List<String> scopes) {
        return new Hold(Gate.PAUSED, null, null, null, null, scopes, null);
    }

    public static Hold backoff(Instant until) {
        return new Hold(Gate.BACKOFF, null, null, null, null, null, until);
    }

    public static Hold cancelRequested() {
        return new Hold(Gate.CANCEL_REQUESTED, null, null, null, null, null, null);
    }

    public static Hold capacity(long running, int max) {
        return new Hold(Gate.CAPACITY, null, null, running, max, null, null);
    }

    public static Hold nothing() {
        return new Hold(Gate.NOTHING, null, null, null, null, null, null);
    }
}
