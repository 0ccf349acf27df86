package dev.orchestrator.domain.event;

import java.util.regex.Pattern;

/**
 * Where an event stands in the feed: the id of the transaction that wrote it, then its sequence
 * number. Events are read in this order, and only once every transaction that could still add an
 * earlier one has ended (ADR 0013), so a reader that resumes after a position misses nothing. Written
 * as {@code TX-SEQ} (the SSE event id).
 */
public record EventPosition(long tx, long seq) implements Comparable<EventPosition> {
    private static final Pattern FORMAT = Pattern.compile("[0-9]{1,18}-[0-9]{1,18}");
    /** Before every event. */
    public static final EventPosition START = new EventPosition(0, 0);

    public EventPosition {
        if (tx < 0 || seq < 0) {
            throw new IllegalArgumentException("an event position is two numbers of 0 or more");
        }
    }

    /** {@code TX-SEQ}; IllegalArgumentException with a readable message otherwise. */
    public static EventPosition parse(String raw) {
        if (raw == null || !FORMAT.matcher(raw).matches()) {
            throw new IllegalArgumentException("an event id is TX-SEQ (two whole numbers, as the events carry), not '"
                    + (raw == null ? "" : raw.length() > 40 ? raw.substring(0, 40) + "..." : raw) + "'");
        }
        int dash = raw.indexOf('-');
        return new EventPosition(Long.parseLong(raw.substring(0, dash)), Long.parseLong(raw.substring(dash + 1)));
    }

    @Override
    public int compareTo(EventPosition o) {
        int c = Long.compare(tx, o.tx);
        return c != 0 ? c : Long.compare(seq, o.seq);
    }

    public boolean isAfter(EventPosition o) {
        return compareTo(o) > 0;
    }

    public static EventPosition max(EventPosition a, EventPosition b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public String toString() {
        return tx + "-" + seq;
    }
}
