package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.api.LogStreamsTest.Event;
import dev.orchestrator.api.LogStreamsTest.FakeSink;
import dev.orchestrator.api.LogStreamsTest.FakeSse;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.event.EventPosition;
import dev.orchestrator.domain.event.JobEvent;
import dev.orchestrator.store.EventStore;
import dev.orchestrator.testing.MutableClock;
import dev.orchestrator.testing.QueueFixture;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event streams over the real event table (V7), tick by tick on a test clock: filters and scopes,
 * a resume from behind the in-memory ring (read from the table, then from the ring, nothing missed or
 * repeated), the keep-alive that carries the position, the cap shared with the log streams, and a client
 * that reads nothing dropped.
 */
class EventStreamsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final QueueFixture f = new QueueFixture();
    private final EventStore table = f.events;
    private final MutableClock clock = MutableClock.at("2026-12-03T08:00:00Z");
    private final SseSlots slots = new SseSlots(3);
    /** A ring of 4 events: the tests reach beyond it with a handful of jobs. */
    private final EventStreams streams = new EventStreams(table, slots, Duration.ofSeconds(30), clock,
            Executors.defaultThreadFactory(), 4, false);

    @AfterEach
    void stop() {
        streams.stop();
    }

    private void job(String repo) {
        f.job().repo(repo).agent(repo.startsWith("a") ? "echo" : "claude").insert();
    }

    private static EventStreams.Filter all() {
        return new EventStreams.Filter(null, null, null, RepoScope.all());
    }

    /** Ticks until every stream has been handed what there is and has sent it. */
    private void settle() {
        for (int i = 0; i < 10; i++) {
            streams.tick();
            await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2)).atMost(WAIT)
                    .until(() -> streams.inFlight() == 0);
        }
    }

    private static List<Event> events(FakeSink sink) {
        return sink.events.stream().filter(e -> !EventStreams.KEEP_ALIVE_NAME.equals(e.name())).toList();
    }

    private static JsonObject json(Event e) {
        return Json.createReader(new StringReader(e.data())).readObject();
    }

    @Test
    void a_stream_gets_the_transitions_after_it_opened_that_pass_its_filter() {
        job("alpha");
        FakeSink everything = new FakeSink();
        FakeSink alpha = new FakeSink();
        FakeSink claude = new FakeSink();
        assertThat(streams.open(streams.now(), all(), everything, new FakeSse())).isTrue();
        assertThat(streams.open(streams.now(), new EventStreams.Filter("alpha", null, null, RepoScope.all()), alpha,
                new FakeSse())).isTrue();
        assertThat(streams.open(streams.now(), new EventStreams.Filter(null, "claude", null, RepoScope.all()), claude,
                new FakeSse())).isTrue();
        settle();
        assertThat(everything.events).as("the job enqueued before the stream opened").isEmpty();

        job("alpha");
        job("beta");
        f.control.pause("*", clock.instant(), audit());
        settle();

        assertThat(events(everything)).extracting(Event::name).containsExactly("enqueued", "enqueued", "paused");
        assertThat(events(alpha)).extracting(Event::name).containsExactly("enqueued", "paused");
        assertThat(events(claude)).extracting(Event::name).containsExactly("enqueued", "paused");
        JsonObject first = json(events(everything).get(0));
        assertThat(first.getString("type")).isEqualTo("enqueued");
        assertThat(first.getString("repo")).isEqualTo("alpha");
        assertThat(first.getString("status")).isEqualTo("queued");
        assertThat(first.getJsonNumber("job_id").longValue()).isEqualTo(2);
        assertThat(first.isNull("run_id")).isTrue();
        assertThat(first.getString("id")).isEqualTo(events(everything).get(0).id());
        assertThat(json(events(everything).get(2)).getString("scope")).isEqualTo("*");
        assertThat(slots.open()).isEqualTo(3);
    }

    @Test
    void a_repo_scoped_stream_sees_only_its_repos_and_the_pauses_of_everything() {
        FakeSink scoped = new FakeSink();
        streams.open(streams.now(), new EventStreams.Filter(null, null, null, new RepoScope(List.of("a*"))), scoped,
                new FakeSse());
        job("alpha");
        job("beta");
        f.control.pause("repo:beta", clock.instant(), audit());
        f.control.pause("repo:alpha", clock.instant(), audit());
        f.control.pause("*", clock.instant(), audit());
        f.db.execute("UPDATE jobs SET status = 'cancelled', finished_at = updated_at");
        settle();

        assertThat(events(scoped)).extracting(e -> json(e).getString("type") + " " + json(e).get("repo"))
                .containsExactly("enqueued \"alpha\"", "paused \"alpha\"", "paused null", "cancelled \"alpha\"");
    }

    @Test
    void a_resume_from_behind_the_ring_reads_the_table_then_the_ring_missing_and_repeating_nothing() {
        FakeSink watcher = new FakeSink();
        streams.open(streams.now(), all(), watcher, new FakeSse()); // keeps the ring filled
        for (int i = 0; i < 9; i++) {
            job("r" + i);
            settle();
        }
        List<JobEvent> feed = table.readNew(EventPosition.START, 100).events();
        assertThat(feed).hasSize(9);
        assertThat(events(watcher)).extracting(Event::id)
                .containsExactlyElementsOf(feed.stream().map(e -> e.position().toString()).toList());

        FakeSink resumed = new FakeSink();
        streams.open(feed.get(1).position(), all(), resumed, new FakeSse()); // 5 events behind a ring of 4
        settle();
        job("r9");
        settle();

        List<JobEvent> now = table.readNew(EventPosition.START, 100).events();
        assertThat(events(resumed)).extracting(Event::id).containsExactlyElementsOf(
                now.subList(2, now.size()).stream().map(e -> e.position().toString()).toList());
    }

    @Test
    void a_quiet_stream_gets_a_keep_alive_carrying_its_position() {
        FakeSink quiet = new FakeSink();
        streams.open(streams.now(), new EventStreams.Filter("nothing-here", null, null, RepoScope.all()), quiet,
                new FakeSse());
        job("alpha");
        settle();
        assertThat(quiet.events).isEmpty();

        clock.tick(EventStreams.KEEP_ALIVE);
        settle();
        assertThat(quiet.events).hasSize(1);
        Event keepAlive = quiet.events.get(0);
        assertThat(keepAlive.name()).isEqualTo("keep-alive");
        assertThat(json(keepAlive).getString("id")).isEqualTo(keepAlive.id());
        EventPosition position = EventPosition.parse(keepAlive.id());
        JobEvent enqueued = table.readNew(EventPosition.START, 10).events().get(0);
        assertThat(position).as("past the event it was shown and filtered out").isGreaterThan(enqueued.position());
        assertThat(streams.refusal(position)).isNull();
    }

    @Test
    void the_cap_is_shared_and_a_client_that_reads_nothing_is_dropped() {
        FakeSink stalled = new FakeSink();
        stalled.stalled = new CompletableFuture<>();
        assertThat(streams.open(streams.now(), all(), stalled, new FakeSse())).isTrue();
        assertThat(streams.open(streams.now(), all(), new FakeSink(), new FakeSse())).isTrue();
        assertThat(slots.acquire()).as("a log stream takes the last slot").isTrue();
        assertThat(streams.open(streams.now(), all(), new FakeSink(), new FakeSse())).isFalse();

        job("alpha");
        job("beta");
        streams.tick();
        await().atMost(WAIT).until(() -> stalled.attempts.size() == 1);
        clock.tick(Duration.ofSeconds(31));
        streams.tick();
        await().atMost(WAIT).until(() -> stalled.closed);
        assertThat(stalled.attempts).as("one event in flight, nothing queued behind it").hasSize(1);
        assertThat(slots.dropped()).isEqualTo(1);
        assertThat(streams.openStreams()).isEqualTo(1);
        assertThat(slots.open()).isEqualTo(2);
    }

    @Test
    void resume_positions_are_checked_against_the_feed() {
        assertThat(streams.refusal(new EventPosition(Long.MAX_VALUE / 2, 1)))
                .isEqualTo(EventStreams.Refusal.UNKNOWN);
        job("alpha");
        job("beta");
        List<JobEvent> feed = table.readNew(EventPosition.START, 10).events();
        assertThat(streams.refusal(feed.get(0).position())).isNull();
        f.db.execute("UPDATE job_events SET at = at - interval '30 days' WHERE job_id = 1");
        table.prune(clock.instant().minus(Duration.ofDays(1)), 100);
        assertThat(streams.refusal(EventPosition.START)).isEqualTo(EventStreams.Refusal.PRUNED);
        assertThat(streams.refusal(feed.get(0).position())).as("exactly the last pruned event: nothing missed")
                .isNull();
    }

    private dev.orchestrator.domain.audit.AuditEvent audit() {
        return new dev.orchestrator.domain.audit.AuditEvent(null, clock.instant(), "test", "pause", "*",
                dev.orchestrator.domain.audit.AuditEvent.Result.DONE, null, null);
    }
}
