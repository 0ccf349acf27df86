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
import java.util.concurrent.ThreadFactory;
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
public final class LogStreams extends SseStreamSet<LogStreams.Stream> {
    private static final Logger LOG = Logger.getLogger(LogStreams.class.getName());
    /** How often a stream whose log did not grow asks the database whether its run has ended. */
    static final Duration END_CHECK = Duration.ofSeconds(1);
    /**
     * A stream with nothing to send gets a comment line this often: a client that went away is found
     * (and its slot freed) while its run is quiet, and proxies do not time out an idle response.
     */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);

    private final String nodeId;
    private final LongFunction<Optional<AgentRun>> runs;

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
        super("log stream", slots, slowClient, clock, threads, scheduled);
        this.nodeId = nodeId;
        this.runs = runs;
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

    /**
     * Starts streaming {@code run}'s log at {@code log} from {@code offset}; false (nothing sent, the
     * sink untouched) if {@code max} streams are open.
     */
    public boolean open(AgentRun run, Path log, long offset, SseEventSink sink, Sse sse) {
        return add(new Stream(run.id(), log, offset, sink, sse, clock.instant()));
    }

    /** One look at every stream: drop, send what is new, or end. Package-private for tests. */
    @Override
    void tick() {
        Instant now = clock.instant();
        for (Stream s : streams) {
            if (!ready(s, now)) {
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
            if (s.ended == null && Duration.between(s.handedOver, now).compareTo(KEEP_ALIVE) >= 0) {
                send(s, s.sse.newEventBuilder().comment("keep-alive").build(), now, false);
            }
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.INFO, "log stream of run {0}: cannot read {1}: {2}; closed",
                    new Object[] {s.runId, s.log, e.getMessage()});
            close(s);
        }
    }

    private void send(Stream s, OutboundSseEvent event, Instant now, boolean last) {
        handOver(s, now, () -> {
            s.sink.send(event).toCompletableFuture().join();
            if (last) {
                remove(s);
                SseSupport.closeQuietly(s.sink);
            }
        });
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

    /** One client's stream: where it is in the log. */
    static final class Stream extends SseStreamSet.Stream {
        final long runId;
        final Path log;
        long offset;
        Instant lastEndCheck;
        AgentRun ended;

        Stream(long runId, Path log, long offset, SseEventSink sink, Sse sse, Instant openedAt) {
            super(sink, sse, openedAt); // a keep-alive follows KEEP_ALIVE after the start
            this.runId = runId;
            this.log = log;
            this.offset = offset;
        }

        @Override
        String describe() {
            return "run " + runId;
        }
    }
}
