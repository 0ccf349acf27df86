package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.domain.run.AgentRun;
import dev.orchestrator.testing.MutableClock;
import jakarta.ws.rs.core.GenericType;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseBroadcaster;
import jakarta.ws.rs.sse.SseEventSink;
import java.lang.reflect.Field;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log streams' bookkeeping, tick by tick on a test clock: what is sent and when, the end after the
 * run's end, one event in flight, the keep-alive of a quiet run, and a client that reads nothing dropped.
 */
class LogStreamsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.at("2026-12-03T08:00:00Z");
    private final AtomicReference<AgentRun> runState = new AtomicReference<>(run(7, null));
    private final SseSlots slots = new SseSlots(2);
    private final LogStreams streams = new LogStreams("this-node", slots, Duration.ofSeconds(30), clock,
            id -> Optional.of(runState.get()), Executors.defaultThreadFactory(), false);

    @AfterEach
    void stop() {
        streams.stop();
    }

    @Test
    void new_output_is_sent_with_its_byte_offset_then_the_end_once_the_run_has_ended_and_its_log_is_read()
            throws Exception {
        Path log = Files.writeString(dir.resolve("output.log"), "one\n");
        FakeSink sink = new FakeSink();
        assertThat(streams.open(runState.get(), log, 0, sink, new FakeSse())).isTrue();

        tickAndSettle();
        assertThat(sink.events).extracting(Event::name, Event::id, Event::data).containsExactly(
                org.assertj.core.groups.Tuple.tuple("log", "4", "one\n"));

        Files.writeString(log, "two\r\n", StandardOpenOption.APPEND);
        runState.set(run(7, 0)); // ended, but its last output is not sent yet
        clock.tick(Duration.ofSeconds(1));
        tickAndSettle();
        assertThat(sink.events.get(1)).isEqualTo(new Event("log", "9", "two\n", null));

        clock.tick(Duration.ofSeconds(1));
        tickAndSettle(); // nothing new: asks for the run's end
        clock.tick(Duration.ofSeconds(1));
        tickAndSettle(); // the log read to its end once more, then the end event
        Event end = sink.events.get(sink.events.size() - 1);
        assertThat(end.name()).isEqualTo("end");
        assertThat(end.id()).isEqualTo("9");
        assertThat(end.data()).contains("\"outcome\":\"done\"", "\"exit_code\":0", "\"log_bytes\":9");
        assertThat(sink.closed).isTrue();
        assertThat(streams.openStreams()).isZero();
    }

    @Test
    void a_quiet_run_gets_a_keep_alive_comment_and_more_streams_than_the_limit_are_refused() throws Exception {
        Path log = Files.writeString(dir.resolve("output.log"), "");
        FakeSink sink = new FakeSink();
        assertThat(streams.open(runState.get(), log, 0, sink, new FakeSse())).isTrue();
        assertThat(streams.open(runState.get(), log, 0, new FakeSink(), new FakeSse())).isTrue();
        assertThat(streams.open(runState.get(), log, 0, new FakeSink(), new FakeSse())).as("the third of 2").isFalse();
        assertThat(streams.openStreams()).isEqualTo(2);

        clock.tick(LogStreams.KEEP_ALIVE.minusSeconds(1));
        tickAndSettle();
        assertThat(sink.events).isEmpty();
        clock.tick(Duration.ofSeconds(1));
        tickAndSettle();
        assertThat(sink.events).containsExactly(new Event(null, null, null, "keep-alive"));
    }

    @Test
    void a_client_that_takes_nothing_holds_one_event_and_is_dropped_after_the_slow_client_time() throws Exception {
        Path log = Files.writeString(dir.resolve("output.log"), "x".repeat(3 * 64 * 1024));
        FakeSink sink = new FakeSink();
        sink.stalled = new CompletableFuture<>(); // the client's socket is full: the send does not complete
        streams.open(runState.get(), log, 0, sink, new FakeSse());

        for (int i = 0; i < 5; i++) {
            streams.tick();
            clock.tick(Duration.ofSeconds(5));
        }
        await().atMost(WAIT).until(() -> sink.attempts.size() == 1);
        assertThat(sink.attempts).as("one event in flight, nothing queued behind it").hasSize(1);
        assertThat(streams.openStreams()).isEqualTo(1);

        clock.tick(Duration.ofSeconds(10)); // 35 s since the send
        streams.tick();
        assertThat(streams.openStreams()).isZero();
        assertThat(slots.dropped()).isEqualTo(1);
        await().atMost(WAIT).until(() -> sink.closed);
    }

    @Test
    void a_run_this_node_claimed_streams_before_its_log_file_exists_and_others_only_with_the_file() throws Exception {
        Path log = dir.resolve("7").resolve("output.log");
        AgentRun ours = runOn("this-node", log, null);
        assertThat(streams.hasLog(ours)).as("claimed here, not started yet").isTrue();
        assertThat(streams.hasLog(runOn("other-node", log, null))).isFalse();
        assertThat(streams.hasLog(runOn("this-node", log, 0))).as("ended here without a file").isFalse();

        FakeSink sink = new FakeSink();
        streams.open(ours, log, 0, sink, new FakeSse());
        tickAndSettle();
        assertThat(sink.events).isEmpty();
        assertThat(sink.closed).isFalse();

        Files.createDirectories(log.getParent());
        Files.writeString(log, "started\n"); // the agent starts
        clock.tick(Duration.ofSeconds(1));
        tickAndSettle();
        assertThat(sink.events).containsExactly(new Event("log", "8", "started\n", null));
        assertThat(streams.hasLog(runOn("other-node", log, 0))).as("the file is here").isTrue();
    }

    private static AgentRun runOn(String node, Path log, Integer exitCode) {
        AgentRun r = run(7, exitCode);
        set(r, "nodeId", node);
        set(r, "logPath", log.toString());
        return r;
    }

    /** One tick, then until its sends have reached the sink. */
    private void tickAndSettle() {
        streams.tick();
        await().atMost(WAIT).until(() -> streams.inFlight() == 0);
    }

    private static AgentRun run(long id, Integer exitCode) {
        AgentRun r = new AgentRun() {
        };
        set(r, "id", id);
        set(r, "jobId", 3L);
        if (exitCode != null) {
            set(r, "exitCode", exitCode);
            set(r, "outcome", "done");
            set(r, "finishedAt", OffsetDateTime.parse("2026-12-03T08:00:05Z"));
        }
        return r;
    }

    private static void set(Object o, String field, Object value) {
        try {
            Field f = AgentRun.class.getDeclaredField(field);
            f.setAccessible(true);
            f.set(o, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    record Event(String name, String id, String data, String comment) {
    }

    /** Records what reaches the client; {@code stalled}: sends that never complete. */
    static final class FakeSink implements SseEventSink {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<OutboundSseEvent> attempts = new CopyOnWriteArrayList<>();
        volatile CompletableFuture<Void> stalled;
        volatile boolean closed;

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public CompletionStage<?> send(OutboundSseEvent e) {
            attempts.add(e);
            if (stalled != null) {
                return stalled;
            }
            events.add(new Event(e.getName(), e.getId(), (String) e.getData(), e.getComment()));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Builds plain events. */
    static final class FakeSse implements Sse {
        @Override
        public OutboundSseEvent.Builder newEventBuilder() {
            return new Builder();
        }

        @Override
        public SseBroadcaster newBroadcaster() {
            throw new UnsupportedOperationException();
        }
    }

    static final class Builder implements OutboundSseEvent.Builder {
        private String name;
        private String id;
        private String comment;
        private Object data;
        private MediaType mediaType;

        @Override public OutboundSseEvent.Builder id(String v) { id = v; return this; }
        @Override public OutboundSseEvent.Builder name(String v) { name = v; return this; }
        @Override public OutboundSseEvent.Builder reconnectDelay(long v) { return this; }
        @Override public OutboundSseEvent.Builder mediaType(MediaType v) { mediaType = v; return this; }
        @Override public OutboundSseEvent.Builder comment(String v) { comment = v; return this; }
        @Override public OutboundSseEvent.Builder data(Class type, Object v) { data = v; return this; }
        @Override public OutboundSseEvent.Builder data(GenericType type, Object v) { data = v; return this; }
        @Override public OutboundSseEvent.Builder data(Object v) { data = v; return this; }

        @Override
        public OutboundSseEvent build() {
            String n = name;
            String i = id;
            String c = comment;
            Object d = data;
            MediaType m = mediaType;
            return new OutboundSseEvent() {
                @Override public Class<?> getType() { return String.class; }
                @Override public Type getGenericType() { return String.class; }
                @Override public MediaType getMediaType() { return m; }
                @Override public Object getData() { return d; }
                @Override public String getId() { return i; }
                @Override public String getName() { return n; }
                @Override public String getComment() { return c; }
                @Override public long getReconnectDelay() { return -1; }
                @Override public boolean isReconnectDelaySet() { return false; }
            };
        }
    }
}
