package dev.orchestrator.run;

import java.util.concurrent.atomic.AtomicLongArray;

/** Counters of {@link QueueEvent}s since this node started. Thread-safe. */
public final class QueueEvents {
    private final AtomicLongArray counts = new AtomicLongArray(QueueEvent.values().length);

    public void record(QueueEvent event) {
        record(event, 1);
    }

    public void record(QueueEvent event, long n) {
        counts.addAndGet(event.ordinal(), n);
    }

    public long count(QueueEvent event) {
        return counts.get(event.ordinal());
    }

}
