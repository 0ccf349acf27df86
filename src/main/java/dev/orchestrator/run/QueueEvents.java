package dev.orchestrator.run;

import dev.orchestrator.domain.run.RunOutcome;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of {@link QueueEvent}s since this node started, and of the runs this node finished by
 * agent and {@link RunOutcome}. Thread-safe.
 */
public final class QueueEvents {
    private final AtomicLongArray counts = new AtomicLongArray(QueueEvent.values().length);
    private final Map<String, AtomicLongArray> finishes = new ConcurrentHashMap<>();

    public void record(QueueEvent event) {
        record(event, 1);
    }

    public void record(QueueEvent event, long n) {
        counts.addAndGet(event.ordinal(), n);
    }

    public long count(QueueEvent event) {
        return counts.get(event.ordinal());
    }

    /** A run of {@code agent} (null: unknown) ended with {@code outcome}. */
    public void finished(String agent, RunOutcome outcome) {
        finishes.computeIfAbsent(agent == null ? "" : agent, a -> new AtomicLongArray(RunOutcome.values().length))
                .incrementAndGet(outcome.ordinal());
    }

    /** Runs of {@code agent} this node finished with {@code outcome}. */
    public long finishes(String agent, RunOutcome outcome) {
        AtomicLongArray a = finishes.get(agent);
        return a == null ? 0 : a.get(outcome.ordinal());
    }
}
