package dev.orchestrator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.store.EnqueueStore;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.QueueFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 10, target 8 at a reduced size: 16 clients enqueue at once, singles and batches, with and
 * without Idempotency-Keys, each key sent by all 16 clients at the same moment, while the node
 * runs the jobs. No request fails, each key has exactly one job (every client got its ids), and
 * every job ends done after exactly one run. {@code bench/EnqueueLoad.java} does the same over HTTP
 * at full size.
 */
class EnqueueUnderLoadTest {
    private static final int CLIENTS = 16;
    private static final int ROUNDS = 18;
    private static final int BATCH = 5;

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b
            .setting("ORCH_MAX_CONCURRENCY", "8").killGraceSeconds(2));

    private static final Caller CI = new Caller("ci", Role.SUBMIT.withIncluded(), RepoScope.all(), "10.0.0.9");

    @Test
    void sixteen_clients_enqueue_without_error_or_duplicate_and_every_job_runs_exactly_once() throws Exception {
        NodeHarness h = nodes.harness();
        h.start("n1");
        QueueService queue = new QueueService(QueueFixture.jobs(), new EnqueueStore(h.f.ds), NodeHarness.agents(),
                h.node(), 3);
        Map<String, List<Long>> answersByKey = new ConcurrentHashMap<>();
        AtomicInteger keyConflicts = new AtomicInteger();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<CountDownLatch> rounds = new ArrayList<>();
        for (int r = 0; r < ROUNDS; r++) {
            rounds.add(new CountDownLatch(CLIENTS)); // every client starts round r together: the keys collide
        }
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            done.add(clients.submit(() -> {
                for (int r = 0; r < ROUNDS; r++) {
                    rounds.get(r).countDown();
                    try {
                        rounds.get(r).await(60, TimeUnit.SECONDS);
                        String repo = "load-" + ((client + r) % 8);
                        switch (r % 4) {
                            case 0 -> queue.enqueue(new EnqueueCommand("ok", repo, null, null, null, null), null, CI);
                            case 1 -> remember(answersByKey, keyConflicts, "single-" + r, List.of(queue.enqueue(
                                    new EnqueueCommand("ok", "load-k", "{\"r\": " + r + "}", null, null, null),
                                    "single-" + r, CI).job().id()));
                            case 2 -> queue.enqueueBatch(batch(repo, r), null, CI);
                            default -> remember(answersByKey, keyConflicts, "batch-" + r, queue.enqueueBatch(
                                    batch("load-k", r), "batch-" + r, CI).jobs().stream().map(Job::id).toList());
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(5, TimeUnit.MINUTES);
        }
        clients.shutdown();

        int perKind = ROUNDS / 4 + (ROUNDS % 4 > 0 ? 1 : 0);
        int unkeyedSingles = CLIENTS * perKind;                                   // rounds 0, 4, 8, ...
        int keyedSingles = ROUNDS / 4 + (ROUNDS % 4 > 1 ? 1 : 0);                // rounds 1, 5, ...: one job per key
        int unkeyedBatches = CLIENTS * BATCH * (ROUNDS / 4 + (ROUNDS % 4 > 2 ? 1 : 0));
        int keyedBatches = BATCH * (ROUNDS / 4);                                 // rounds 3, 7, ...
        long expected = unkeyedSingles + keyedSingles + unkeyedBatches + keyedBatches;

        assertThat(errors).as("failed requests").isEmpty();
        assertThat(keyConflicts.get()).as("clients answered other jobs for one key").isZero();
        assertThat(h.f.db.count("SELECT count(*) FROM jobs")).isEqualTo(expected);
        assertThat(h.f.db.count("SELECT count(*) FROM (SELECT idempotency_key FROM jobs WHERE idempotency_key IS NOT "
                + "NULL GROUP BY idempotency_key HAVING count(*) > 1) d")).as("duplicate keys").isZero();
        assertThat(h.f.db.count("SELECT count(*) FROM jobs WHERE idempotency_key IS NOT NULL"))
                .isEqualTo(keyedSingles + keyedBatches);

        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50)).until(() -> {
            h.node().dispatcher().drain(); // dispatching is by hand in the harness
            return h.f.db.count("SELECT count(*) FROM jobs WHERE status <> 'done'") == 0;
        });
        assertThat(h.f.db.count("SELECT count(*) FROM agent_runs")).as("one run per job").isEqualTo(expected);
        assertThat(h.f.db.count("SELECT count(*) FROM (SELECT job_id FROM agent_runs GROUP BY job_id "
                + "HAVING count(*) <> 1) d")).isZero();
        assertThat(h.f.db.count("SELECT count(*) FROM agent_runs WHERE outcome <> 'done'")).isZero();
    }

    private static EnqueueBatchCommand batch(String repo, int round) {
        List<EnqueueCommand> items = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            items.add(new EnqueueCommand("ok", repo, "{\"round\": " + round + ", \"item\": " + i + "}", null, null,
                    null, i == 0 ? null : List.of(i - 1)));
        }
        return new EnqueueBatchCommand(items, List.of());
    }

    private static void remember(Map<String, List<Long>> answers, AtomicInteger conflicts, String key, List<Long> ids) {
        List<Long> first = answers.putIfAbsent(key, ids);
        if (first != null && !first.equals(ids)) {
            conflicts.incrementAndGet();
        }
    }
}
