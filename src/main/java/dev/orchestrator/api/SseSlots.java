package dev.orchestrator.api;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's Server-Sent Event streams, log streams and event streams together: at most
 * ORCH_MAX_SSE_STREAMS open at once, and how many were dropped because their client stopped reading
 * (both in /metrics).
 */
public final class SseSlots {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();

    public SseSlots(int max) {
        this.max = max;
    }

    /** Takes a slot; false (and nothing taken) if {@code max} are in use. */
    boolean acquire() {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        open.decrementAndGet();
    }

    void countDrop() {
        dropped.incrementAndGet();
    }

    /** Streams open now (a gauge). */
    public int open() {
        return open.get();
    }

    /** Streams dropped because their client read nothing for ORCH_SSE_SLOW_CLIENT_SECONDS (a counter). */
    public long dropped() {
        return dropped.get();
    }

    public int max() {
        return max;
    }
}
