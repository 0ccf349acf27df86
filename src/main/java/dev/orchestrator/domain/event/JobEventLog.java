package dev.orchestrator.domain.event;

import java.util.List;

/** The durable event feed, as the readers see it (ADR 0013). */
public interface JobEventLog {
    /**
     * Up to {@code limit} events after {@code after}, in order, each written by a transaction older than
     * every transaction still running; with the horizon: the position below which nothing can appear any
     * more (when fewer than {@code limit} events came back, everything before the horizon has been read).
     */
    Settled readNew(EventPosition after, int limit);

    /**
     * Up to {@code limit} events after {@code after} and at most {@code upTo}, in order; {@code upTo} must
     * be a position read before (a horizon, or an event returned by {@link #readNew}), below which the
     * feed no longer changes.
     */
    List<JobEvent> readBetween(EventPosition after, EventPosition upTo, int limit);

    /** The position below which nothing can appear any more, now. */
    EventPosition horizon();

    /** The newest position retention has deleted; a reader resuming before it has missed events. */
    EventPosition pruned();

    /** No event position can have a transaction id at or above this yet (rejects invented ids). */
    long nextTx();

    /** Events, and the horizon they were read under. */
    record Settled(List<JobEvent> events, EventPosition horizon) {
        public Settled {
            events = List.copyOf(events);
        }
    }
}
