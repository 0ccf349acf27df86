package dev.orchestrator.node;

import static org.awaitility.Awaitility.await;

import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.QueueService;
import dev.orchestrator.store.EnqueueStore;
import dev.orchestrator.testing.Actors;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.QueueFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A measurement, not a test (it asserts nothing and runs only when asked): how long from an
 * enqueue committed on node A to the job claimed, and started, on an idle node B, with and
 * without wake-ups across nodes. Run:
 * <pre>mvn -o -q test -Dtest=WakeLatencyMeasurement -Dorch.measure=true [-Dorch.measure.jobs=200]</pre>
 * It prints p50/p95/max per setting. B's poll interval is the default (1 s), as a server runs.
 */
@EnabledIfSystemProperty(named = "orch.measure", matches = "true")
class WakeLatencyMeasurement {
    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b
            .setting("ORCH_MAX_CONCURRENCY", "4"));

    @Test
    void enqueue_on_a_to_claim_on_idle_b() {
        int jobs = Integer.getInteger("orch.measure.jobs", 200);
        measure("same node (in-JVM wake, reference)", true, true, jobs);
        measure("node A -> idle node B, LISTEN/NOTIFY", true, false, jobs);
        measure("node A -> idle node B, ORCH_NOTIFY_ENABLED=false (poll only)", false, false,
                Math.min(jobs, 20));
    }

    private void measure(String what, boolean notify, boolean sameNode, int jobs) {
        NodeHarness a = nodes.another().configure(b -> b.setting("ORCH_NOTIFY_ENABLED", Boolean.toString(notify)));
        NodeHarness b = sameNode ? a
                : nodes.another().configure(c -> c.setting("ORCH_NOTIFY_ENABLED", Boolean.toString(notify)));
        a.start("measure-a-" + notify + sameNode);
        if (!sameNode) {
            b.start("measure-b-" + notify);
        }
        BlockingQueue<Long> claims = new LinkedBlockingQueue<>();
        BlockingQueue<Long> starts = new LinkedBlockingQueue<>();
        b.node().context().events().listen(new QueueEvents.Listener() {
            @Override
            public void claimed(String agent, Duration waited) {
                claims.add(System.nanoTime());
            }

            @Override
            public void recorded(QueueEvent event, long n) {
                if (event == QueueEvent.STARTED) {
                    starts.add(System.nanoTime());
                }
            }
        });
        b.node().startDispatching(Executors.defaultThreadFactory());
        await().atMost(Duration.ofSeconds(20)).until(() -> b.node().dispatcher().isRunning()
                && (!notify || b.node().wakeupStatus().connected()));
        QueueService queue = new QueueService(QueueFixture.jobs(), new EnqueueStore(a.f.ds), NodeHarness.agents(), a.node(), 3);

        List<Double> toClaim = new ArrayList<>();
        List<Double> toStart = new ArrayList<>();
        for (int i = 0; i < jobs + 5; i++) {
            long id = queue.enqueue(new EnqueueCommand("ok", "m" + (i % 7), null, null, null, null), null,
                    Actors.OPERATOR).job().id();
            long committed = System.nanoTime();
            Long claimed = take(claims);
            Long started = take(starts);
            if (i >= 5) { // the first few warm the JIT and the pools up
                toClaim.add((claimed - committed) / 1e6);
                toStart.add((started - committed) / 1e6);
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                    .until(() -> "done".equals(a.job(id).status()));
        }
        System.out.printf(Locale.ROOT, "%s, %d jobs: committed -> claimed %s; committed -> started %s; "
                + "B received %d notification(s)%n", what, jobs, figures(toClaim), figures(toStart),
                b.node().wakeupStatus().notifications());
        a.stopNode();
        if (!sameNode) {
            b.stopNode();
        }
    }

    private static Long take(BlockingQueue<Long> q) {
        try {
            Long v = q.poll(10, TimeUnit.SECONDS);
            if (v == null) {
                throw new IllegalStateException("nothing claimed within 10 s");
            }
            return v;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String figures(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        return String.format(Locale.ROOT, "p50 %.1f ms, p95 %.1f ms, max %.1f ms", pct(sorted, 50), pct(sorted, 95),
                sorted.get(sorted.size() - 1));
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
