package dev.orchestrator.api;

import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What the log streams and the event streams share: the open streams of one kind, each holding one of the
 * node's {@link SseSlots}; one ticker thread that looks at them all every {@link #TICK}; a pool of sender
 * threads on which each stream has at most one hand-over in flight; and the drop of a stream whose client
 * has not taken its hand-over for {@code slowClient}. A subclass says what a ready stream is handed.
 */
abstract class SseStreamSet<S extends SseStreamSet.Stream> {
    private static final Logger LOG = Logger.getLogger(SseStreamSet.class.getName());
    /** How often the streams are looked at. */
    static final Duration TICK = Duration.ofMillis(200);

    final SseSlots slots;
    final Duration slowClient;
    final Clock clock;
    final Set<S> streams = ConcurrentHashMap.newKeySet();
    final ExecutorService senders;
    private final ScheduledExecutorService ticker;
    private final String kind;

    /** {@code kind} names the streams in log lines; {@code scheduled} false: nothing ticks but {@link #tick} (tests). */
    SseStreamSet(String kind, SseSlots slots, Duration slowClient, Clock clock, ThreadFactory threads,
                 boolean scheduled) {
        this.kind = kind;
        this.slots = slots;
        this.slowClient = slowClient;
        this.clock = clock;
        this.ticker = Executors.newSingleThreadScheduledExecutor(threads);
        this.senders = Executors.newCachedThreadPool(threads);
        if (scheduled) {
            ticker.scheduleWithFixedDelay(this::tickQuietly, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One client's stream: its sink, and its one hand-over in flight. */
    abstract static class Stream {
        final SseEventSink sink;
        final Sse sse;
        volatile CompletableFuture<?> pending;
        /** When the last hand-over was made (or the stream opened). */
        volatile Instant handedOver;

        Stream(SseEventSink sink, Sse sse, Instant openedAt) {
            this.sink = sink;
            this.sse = sse;
            this.handedOver = openedAt;
        }

        /** What the stream follows, for log lines. */
        abstract String describe();
    }

    /** Opens {@code s}; false (nothing sent, the sink untouched) if every slot of the node is taken. */
    boolean add(S s) {
        if (!slots.acquire()) {
            return false;
        }
        streams.add(s);
        return true;
    }

    void remove(S s) {
        if (streams.remove(s)) {
            slots.release();
        }
    }

    /** Removes {@code s} and closes its sink off the ticker's thread (a close may block on a full socket). */
    void close(S s) {
        remove(s);
        senders.execute(() -> SseSupport.closeQuietly(s.sink));
    }

    public int max() {
        return slots.max();
    }

    /** Streams of this kind open now. */
    public int openStreams() {
        return streams.size();
    }

    /** Streams whose hand-over is being sent now (tests). */
    int inFlight() {
        return (int) streams.stream().filter(s -> s.pending != null && !s.pending.isDone()).count();
    }

    /**
     * Whether {@code s} may be handed something now: not if its client went away (removed), has not taken
     * its last hand-over for {@code slowClient} (dropped: counted, sink closed), or is still taking it.
     */
    boolean ready(S s, Instant now) {
        if (s.sink.isClosed()) {
            remove(s);
            return false;
        }
        CompletableFuture<?> pending = s.pending;
        if (pending != null && !pending.isDone()) {
            if (Duration.between(s.handedOver, now).compareTo(slowClient) > 0) {
                LOG.log(Level.INFO, "{0} of {1}: the client read nothing for {2} s; dropped",
                        new Object[] {kind, s.describe(), slowClient.toSeconds()});
                slots.countDrop();
                close(s);
            }
            return false;
        }
        if (pending != null && pending.isCompletedExceptionally()) {
            remove(s); // the client went away
            return false;
        }
        return true;
    }

    /** Hands {@code send} to the senders as {@code s}'s one hand-over in flight. */
    void handOver(S s, Instant now, Runnable send) {
        s.handedOver = now;
        s.pending = CompletableFuture.runAsync(send, senders);
    }

    /** Closes every stream (the application stops). */
    public void stop() {
        ticker.shutdownNow();
        for (S s : streams) {
            remove(s);
            SseSupport.closeQuietly(s.sink);
        }
        senders.shutdownNow();
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, kind + ": a tick failed; the next one tries again", e);
        }
    }

    /** One look at every stream. Package-private for tests. */
    abstract void tick();
}
