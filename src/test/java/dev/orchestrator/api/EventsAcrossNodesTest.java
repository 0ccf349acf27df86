package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.api.LogStreamsTest.Event;
import dev.orchestrator.api.LogStreamsTest.FakeSink;
import dev.orchestrator.api.LogStreamsTest.FakeSse;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two real nodes on one database: a stream served by node A shows the transitions node B makes while it
 * runs a job (the event table is the feed; no node-to-node channel is involved).
 */
class EventsAcrossNodesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b
            .setting("ORCH_NOTIFY_ENABLED", "true")
            .setting("ORCH_MAX_CONCURRENCY", "2"));

    @Test
    void a_stream_on_node_a_gets_the_transitions_node_b_makes() {
        NodeHarness a = nodes.harness();
        NodeHarness b = nodes.another();
        a.start("node-a"); // serves the stream; never dispatches
        b.start("node-b");
        EventStreams streams = new EventStreams(a.f.events, new SseSlots(4), Duration.ofSeconds(30), a.f.clock,
                Executors.defaultThreadFactory(), 100, true);
        try {
            FakeSink sink = new FakeSink();
            assertThat(streams.open(streams.now(), new EventStreams.Filter("across", null, null, RepoScope.all()),
                    sink, new FakeSse())).isTrue();
            long id = a.f.job().agent("ok").repo("across").insert();
            b.node().startDispatching(Executors.defaultThreadFactory());

            await().atMost(WAIT).until(() -> sink.events.stream().anyMatch(e -> "finished".equals(e.name())));
            List<Event> events = sink.events.stream().filter(e -> !EventStreams.KEEP_ALIVE_NAME.equals(e.name()))
                    .toList();
            assertThat(events).extracting(Event::name).containsExactly("enqueued", "claimed", "started", "finished");
            for (Event e : events) {
                JsonObject data = Json.createReader(new StringReader(e.data())).readObject();
                assertThat(data.getJsonNumber("job_id").longValue()).isEqualTo(id);
                if (!e.name().equals("enqueued")) {
                    assertThat(data.getString("node")).as(e.name()).isEqualTo(b.node().context().identity().id());
                }
            }
            assertThat(b.job(id).status()).isEqualTo("done");
        } finally {
            streams.stop();
        }
    }
}
