package dev.orchestrator.api;

import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.event.EventPosition;
import dev.orchestrator.domain.event.JobEvent;
import dev.orchestrator.domain.event.JobEventLog;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The open event streams of this node ({@code GET /api/events}). One ticker reads what the shared event
 * table gained (every node's transitions: the table is the feed) into a ring of the most recent events,
 * then hands each stream the events after its position that pass its filter, one batch in flight per
 * stream. A stream whose position is older than the ring (a client resuming after a while, or one that
 * fell behind) reads its way up from the table on its sender thread first, in pages.
 *
 * <p>Positions: the ring holds the events in (ringStart, head], in feed order, and nothing can appear
 * any more at or before head (ADR 0013): a stream's position only ever moves over events it was offered,
 * so it misses none and sees none twice. Bounded like the log streams: slots shared with them
 * ({@link SseSlots}), at most {@link #SEND_BATCH} events in flight per stream, a stream whose send has not
 * completed after {@code slowClient} dropped, {@link #RING} events in memory.
 */
public final class EventStreams extends SseStreamSet<EventStreams.Stream> {
    private static final Logger LOG = Logger.getLogger(EventStreams.class.getName());
    /** A keep-alive event with the stream's position when nothing was sent for this long (see {@link #keepAlive}). */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    static final String KEEP_ALIVE_NAME = "keep-alive";
    /** Events kept in memory for the streams that are up to date. */
    static final int RING = 10_000;
    /** Events read from the table per query. */
    static final int PAGE = 2_000;
    /** Queries per tick at most (a burst larger than that is read over the next ticks). */
    static final int PAGES_PER_TICK = 5;
    /** Events handed to one stream at a time. */
    static final int SEND_BATCH = 500;

    private final JobEventLog log;
    private final int ringSize;

    // the ring: read and written by the ticker only
    private final ArrayList<JobEvent> ring = new ArrayList<>();
    private int first;
    private EventPosition ringStart;
    private EventPosition head;

    public EventStreams(JobEventLog log, SseSlots slots, Duration slowClient, Clock clock, ThreadFactory threads) {
        this(log, slots, slowClient, clock, threads, RING, true);
    }

    /** {@code scheduled} false: nothing is read or sent until {@link #tick} is called (tests). */
    EventStreams(JobEventLog log, SseSlots slots, Duration slowClient, Clock clock, ThreadFactory threads,
                 int ringSize, boolean scheduled) {
        super("event stream", slots, slowClient, clock, threads, scheduled);
        this.ringSize = ringSize;
        this.log = log;
    }

    /** What one stream is shown: each filter null for any; pauses pass the agent filter, never the job filter. */
    public record Filter(String repo, String agent, Long job, RepoScope scope) {
        boolean matches(JobEvent e) {
            if (e.repo() != null && !scope.allows(e.repo())) {
                return false;
            }
            if (e.aboutClaiming()) { // a pause of everything (repo null) concerns every stream without a job
                return job == null && (repo == null || e.repo() == null || repo.equals(e.repo()));
            }
            return (job == null || job.equals(e.jobId())) && (repo == null || repo.equals(e.repo()))
                    && (agent == null || agent.equals(e.agent()));
        }
    }

    /** Where a client without a position starts: the events from now on. */
    public EventPosition now() {
        return log.horizon();
    }

    /** Why a client cannot resume after {@code p}: null if it can. */
    public Refusal refusal(EventPosition p) {
        long next = log.nextTx(); // a horizon (keep-alive) may be (next, 0) itself; nothing else may reach it
        if (p.tx() > next || (p.tx() == next && p.seq() > 0)) {
            return Refusal.UNKNOWN;
        }
        return p.compareTo(log.pruned()) < 0 ? Refusal.PRUNED : null;
    }

    /** A position no event can have ({@link #UNKNOWN}), or one retention has deleted events after. */
    public enum Refusal { UNKNOWN, PRUNED }

    /** Starts a stream after {@code from}; false (nothing sent, the sink untouched) if every slot is taken. */
    public boolean open(EventPosition from, Filter filter, SseEventSink sink, Sse sse) {
        return add(new Stream(from, filter, sink, sse, clock.instant()));
    }

    /** Reads what is new, then serves every stream. Package-private for tests. */
    @Override
    void tick() {
        if (streams.isEmpty()) {
            ring.clear(); // no reader: the ring starts afresh at the next one
            first = 0;
            head = null;
            return;
        }
        try {
            read();
        } catch (RuntimeException e) { // the database: the streams get what the ring has, the next tick reads on
            LOG.log(Level.FINE, "event streams: cannot read the event table now", e);
        }
        if (head == null) {
            return;
        }
        Instant now = clock.instant();
        for (Stream s : streams) {
            if (ready(s, now)) {
                serve(s, now);
            }
        }
    }

    private void read() {
        if (head == null) {
            head = log.horizon();
            ringStart = head;
        }
        for (int page = 0; page < PAGES_PER_TICK; page++) {
            JobEventLog.Settled settled = log.readNew(head, PAGE);
            ring.addAll(settled.events());
            if (settled.events().size() < PAGE) {
                head = EventPosition.max(head, settled.horizon()); // nothing else can appear before the horizon
                break;
            }
            head = settled.events().get(settled.events().size() - 1).position();
        }
        while (ring.size() - first > ringSize) {
            ringStart = ring.get(first++).position();
        }
        if (first > ringSize) {
            ring.subList(0, first).clear();
            first = 0;
        }
        if (ring.size() == first) {
            ringStart = head;
        }
    }

    private void serve(Stream s, Instant now) {
        if (s.position.compareTo(ringStart) < 0) {
            catchUp(s, now);
            return;
        }
        List<JobEvent> batch = new ArrayList<>();
        int i = firstAfter(s.position);
        EventPosition scanned = s.position;
        for (; i < ring.size() && batch.size() < SEND_BATCH; i++) {
            JobEvent e = ring.get(i);
            scanned = e.position();
            if (s.filter.matches(e)) {
                batch.add(e);
            }
        }
        s.position = i == ring.size() ? EventPosition.max(scanned, head) : scanned;
        if (!batch.isEmpty()) {
            send(s, batch, now);
        } else if (Duration.between(s.lastSent, now).compareTo(KEEP_ALIVE) >= 0) {
            send(s, List.of(), now);
        }
    }

    /** A stream behind the ring reads the table up to the ring's start, a page per hand-over. */
    private void catchUp(Stream s, Instant now) {
        EventPosition from = s.position;
        EventPosition upTo = ringStart;
        handOver(s, now, () -> {
            List<JobEvent> page;
            try {
                page = log.readBetween(from, upTo, PAGE);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "event stream: cannot read the event table now; tries again", e);
                return;
            }
            for (JobEvent e : page) {
                if (s.filter.matches(e)) {
                    s.sink.send(event(s.sse, e)).toCompletableFuture().join();
                    s.lastSent = clock.instant();
                }
            }
            s.position = page.size() < PAGE ? upTo : page.get(page.size() - 1).position();
        });
    }

    private void send(Stream s, List<JobEvent> batch, Instant now) {
        s.lastSent = now;
        EventPosition position = s.position;
        handOver(s, now, () -> {
            if (batch.isEmpty()) {
                s.sink.send(keepAlive(s.sse, position)).toCompletableFuture().join();
            }
            for (JobEvent e : batch) {
                s.sink.send(event(s.sse, e)).toCompletableFuture().join();
            }
        });
    }

    /** The index of the first ring event after {@code p} (the ring is in feed order). */
    private int firstAfter(EventPosition p) {
        int lo = first;
        int hi = ring.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ring.get(mid).position().compareTo(p) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * An event named {@code keep-alive} carrying the stream's position as its id (and in its data): an
     * EventSource without a listener for that name ignores it, but its last event id moves, so a stream
     * whose filter matched nothing for days resumes from a position retention has kept. (Not a comment
     * with an id: Jersey writes no id for an event without data.)
     */
    static OutboundSseEvent keepAlive(Sse sse, EventPosition position) {
        return sse.newEventBuilder().name(KEEP_ALIVE_NAME).id(position.toString())
                .mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(String.class, Json.createObjectBuilder().add("id", position.toString())
                        .add("type", KEEP_ALIVE_NAME).build().toString()).build();
    }

    static OutboundSseEvent event(Sse sse, JobEvent e) {
        return sse.newEventBuilder().name(e.type()).id(e.position().toString())
                .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, json(e)).build();
    }

    /** The event as JSON, snake_case like the rest of the API, every field present (null when it does not apply). */
    static String json(JobEvent e) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("id", e.position().toString())
                .add("type", e.type())
                .add("at", e.at().toString());
        SseSupport.number(b, "job_id", e.jobId());
        SseSupport.text(b, "repo", e.repo());
        SseSupport.text(b, "agent", e.agent());
        SseSupport.text(b, "status", e.status());
        SseSupport.number(b, "run_id", e.runId());
        SseSupport.text(b, "node", e.node());
        SseSupport.number(b, "attempts", e.attempts() == null ? null : e.attempts().longValue());
        SseSupport.text(b, "available_at", e.availableAt() == null ? null : e.availableAt().toString());
        SseSupport.text(b, "scope", e.scope());
        return b.build().toString();
    }

    /** One client's stream: its position (everything up to it was offered) and its filter. */
    static final class Stream extends SseStreamSet.Stream {
        final Filter filter;
        volatile EventPosition position;
        /** When something was last sent (or the stream opened): the keep-alive's clock. */
        volatile Instant lastSent;

        Stream(EventPosition position, Filter filter, SseEventSink sink, Sse sse, Instant openedAt) {
            super(sink, sse, openedAt);
            this.position = position;
            this.filter = filter;
            this.lastSent = openedAt;
        }

        @Override
        String describe() {
            return "events " + filter;
        }
    }
}
