package dev.orchestrator.api;

import dev.orchestrator.domain.run.AgentRun;
import dev.orchestrator.runfiles.LogChunk;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The open log streams of this node ({@code GET /api/runs/{id}/log/stream}): one ticker thread reads
 * what each run's log gained since the last tick and hands it to the stream's sink, one event at a time;
 * when the run has ended and its log is read to the end, an {@code end} event with the outcome closes
 * the stream.
 *
 * <p>Bounded: at most ORCH_MAX_SSE_STREAMS streams at once, shared with the event streams ({@link SseSlots};
 * {@link #open} refuses more); each stream has at most
 * one event in flight ({@link LogChunk#MAX_BYTES} of text), so nothing is buffered for a client that
 * does not read. A send that has not completed after {@code slowClient} drops the stream (its sink is
 * closed). Sends run on their own threads, so a client whose socket is full holds only its own.
 */
public final class LogStreams {
    private static final Logger LOG = Logger.getLogger(LogStreams.class.getName());
    /** How often the logs are looked at. */
    static final Duration TICK = Duration.ofMillis(200);
    /** How often a stream whose log did not grow asks the database whether its run has ended. */
    static final Duration END_CHECK = Duration.ofSeconds(1);
    /**
     * A stream with nothing to send gets a comment line this often: a client that went away is found
     * (and its slot freed) while its run is quiet, and proxies do not time out an idle response.
     */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final String nodeId;
    private final SseSlots slots;
    private final Duration slowClient;
    private final Clock clock;
    private final LongFunction<Optional<AgentRun>> runs;
    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker;
    private final ExecutorService senders;

    /**
     * {@code nodeId}: this node's id (runs it started write their logs here); {@code runs}: a run by id, read
     * fresh from the database (its end). Looks at the logs every {@link #TICK}.
     */
    public LogStreams(String nodeId, SseSlots slots, Duration slowClient, Clock clock,
                      LongFunction<Optional<AgentRun>> runs, ThreadFactory threads) {
        this(nodeId, slots, slowClient, clock, runs, threads, true);
    }

    /** {@code scheduled} false: nothing looks at the logs until {@link #tick} is called (tests). */
    LogStreams(String nodeId, SseSlots slots, Duration slowClient, Clock clock, LongFunction<Optional<AgentRun>> runs,
               ThreadFactory threads, boolean scheduled) {
        this.nodeId = nodeId;
        this.slots = slots;
        this.slowClient = slowClient;
        this.clock = clock;
        this.runs = runs;
        this.ticker = Executors.newSingleThreadScheduledExecutor(threads);
        this.senders = Executors.newCachedThreadPool(threads);
        if (scheduled) {
            ticker.scheduleWithFixedDelay(this::tickQuietly, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Log streams open now. */
    public int openStreams() {
        return streams.size();
    }

    /**
     * Whether this node streams {@code run}'s log: the file is here, or the run was claimed by this very
     * node and has not ended, so its file appears once the agent starts (a few milliseconds after the claim;
     * a client that opens the stream in between gets what is written once it is).
     */
    public boolean hasLog(AgentRun run) {
        if (run.logPath() == null) {
            return false;
        }
        return java.nio.file.Files.isRegularFile(Path.of(run.logPath()))
                || (run.finishedAt() == null && nodeId.equals(run.nodeId()));
    }

    /** Streams whose event is being sent now (tests). */
    int inFlight() {
        return (int) streams.stream().filter(s -> s.pending != null && !s.pending.isDone()).count();
    }

    public int max() {
        return slots.max();
    }

    /**
     * Starts streaming {@code run}'s log at {@code log} from {@code offset}; false (nothing sent, the
     * sink untouched) if {@code max} streams are open.
     */
    public boolean open(AgentRun run, Path log, long offset, SseEventSink sink, Sse sse) {
        if (!slots.acquire()) {
            return false;
        }
        streams.add(new Stream(run.id(), log, offset, sink, sse, clock.instant()));
        return true;
    }

    /** Closes every stream (the application stops). */
    public void stop() {
        ticker.shutdownNow();
        for (Stream s : streams) {
            remove(s);
            SseSupport.closeQuietly(s.sink);
        }
        senders.shutdownNow();
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "log streams: a tick failed; the next one tries again", e);
        }
    }

    /** One look at every stream: drop, send what is new, or end. Package-private for tests. */
    void tick() {
        Instant now = clock.instant();
        for (Stream s : streams) {
            if (s.sink.isClosed()) {
                remove(s);
                continue;
            }
            CompletableFuture<?> pending = s.pending;
            if (pending != null && !pending.isDone()) {
                if (Duration.between(s.pendingSince, now).compareTo(slowClient) > 0) {
                    LOG.log(Level.INFO, "log stream of run {0}: the client read nothing for {1} s; dropped",
                            new Object[] {s.runId, slowClient.toSeconds()});
                    slots.countDrop();
                    remove(s);
                    senders.execute(() -> SseSupport.closeQuietly(s.sink));
                }
                continue;
            }
            if (pending != null && pending.isCompletedExceptionally()) {
                remove(s); // the client went away
                continue;
            }
            try {
                advance(s, now);
            } catch (RuntimeException e) { // the database, for the run's end: this stream tries again next tick
                LOG.log(Level.FINE, "log stream of run " + s.runId + ": cannot advance now", e);
            }
        }
    }

    private void advance(Stream s, Instant now) {
        try {
            LogChunk chunk = java.nio.file.Files.exists(s.log)
                    ? LogChunk.read(s.log, s.offset, LogChunk.MAX_BYTES, s.ended != null)
                    : new LogChunk(s.offset, s.offset, ""); // not started yet (or a launch that failed: no file)
            if (!chunk.isEmpty()) {
                s.offset = chunk.end();
                send(s, s.sse.newEventBuilder().name("log").id(Long.toString(chunk.end()))
                        .mediaType(MediaType.TEXT_PLAIN_TYPE).data(String.class, lineFeeds(chunk.text())).build(), now,
                        false);
                return;
            }
            if (s.ended != null) {
                send(s, s.sse.newEventBuilder().name("end").id(Long.toString(s.offset))
                        .mediaType(MediaType.APPLICATION_JSON_TYPE).data(String.class, endJson(s.ended, s.offset))
                        .build(), now, true);
                return;
            }
            if (s.lastEndCheck == null || Duration.between(s.lastEndCheck, now).compareTo(END_CHECK) >= 0) {
                s.lastEndCheck = now;
                runs.apply(s.runId).filter(r -> r.finishedAt() != null).ifPresent(r -> s.ended = r);
                // the log is read to its end once more before the end event (the next ticks)
            }
            if (s.ended == null && Duration.between(s.pendingSince, now).compareTo(KEEP_ALIVE) >= 0) {
                send(s, s.sse.newEventBuilder().comment("keep-alive").build(), now, false);
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.INFO, "log stream of run {0}: cannot read {1}: {2}; closed",
                    new Object[] {s.runId, s.log, e.getMessage()});
            remove(s);
            senders.execute(() -> SseSupport.closeQuietly(s.sink));
        }
    }

    private void send(Stream s, OutboundSseEvent event, Instant now, boolean last) {
        s.pendingSince = now;
        s.pending = CompletableFuture.runAsync(() -> {
            s.sink.send(event).toCompletableFuture().join();
            if (last) {
                remove(s);
                SseSupport.closeQuietly(s.sink);
            }
        }, senders);
    }

    /**
     * Carriage returns as line feeds: an event's data cannot carry a bare CR (SSE ends a line at CR, LF or
     * CRLF), and agents write them (progress bars, CRLF output).
     */
    static String lineFeeds(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    static String endJson(AgentRun run, long offset) {
        jakarta.json.JsonObjectBuilder end = jakarta.json.Json.createObjectBuilder()
                .add("run_id", run.id())
                .add("job_id", run.jobId());
        SseSupport.text(end, "outcome", run.outcome() == null ? null : run.outcome().db());
        SseSupport.number(end, "exit_code", run.exitCode() == null ? null : run.exitCode().longValue());
        SseSupport.text(end, "error", run.error());
        SseSupport.text(end, "finished_at", run.finishedAt() == null ? null : run.finishedAt().toInstant().toString());
        return end.add("log_bytes", offset).build().toString();
    }

    private void remove(Stream s) {
        if (streams.remove(s)) {
            slots.release();
        }
    }

    /** One client's stream: where it is in the log, its one event in flight. */
    private static final class Stream {
        final long runId;
        final Path log;
        final SseEventSink sink;
        final Sse sse;
        long offset;
        volatile CompletableFuture<?> pending;
        /** When the last event was handed to the sink (or the stream opened). */
        volatile Instant pendingSince;
        Instant lastEndCheck;
        AgentRun ended;

        Stream(long runId, Path log, long offset, SseEventSink sink, Sse sse, Instant openedAt) {
            this.pendingSince = openedAt; // "since the last send": a keep-alive follows KEEP_ALIVE after the start
            this.runId = runId;
            this.log = log;
            this.offset = offset;
            this.sink = sink;
            this.sse = sse;
        }
    }
}
