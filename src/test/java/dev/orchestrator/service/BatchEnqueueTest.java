package dev.orchestrator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.store.EnqueueStore;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.QueueFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch enqueue through the service on real PostgreSQL: validation naming each bad item's index
 * and field, all or nothing, dependencies inside the batch, one Idempotency-Key for the batch,
 * repo scopes per item.
 */
class BatchEnqueueTest {
    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2));

    private static final Caller OPS = new Caller("ops", Role.ADMIN.withIncluded(), RepoScope.all(), "10.0.0.1");
    private static final Caller OTHER = new Caller("other", Role.SUBMIT.withIncluded(), RepoScope.all(), "10.0.0.3");
    private static final Caller TEAM_A = new Caller("team-a", Role.SUBMIT.withIncluded(),
            new RepoScope(List.of("team_a-*")), "10.0.0.2");

    private NodeHarness h;
    private QueueService queue;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
        h.start("n1");
        h.node().lease().heartbeat();
        h.control().pause(Optional.empty(), OPS); // nothing is claimed while these tests look at queued jobs
        queue = new QueueService(QueueFixture.jobs(), new EnqueueStore(h.f.ds), NodeHarness.agents(), h.node(), 3);
    }

    private static EnqueueCommand item(String repo) {
        return new EnqueueCommand("ok", repo, null, null, null, null, null);
    }

    private static EnqueueBatchCommand batch(EnqueueCommand... items) {
        return new EnqueueBatchCommand(List.of(items), List.of());
    }

    private long jobs() {
        return h.f.db.count("SELECT count(*) FROM jobs");
    }

    private long edges() {
        return h.f.db.count("SELECT count(*) FROM job_dependencies");
    }

    @Test
    void every_bad_item_is_named_by_index_and_field_and_nothing_is_written() {
        long existing = queue.enqueue(item("r"), null, OPS).job().id();
        EnqueueBatchCommand cmd = new EnqueueBatchCommand(List.of(
                item("fine"),
                new EnqueueCommand("nope", "r", null, null, null, null, null),
                new EnqueueCommand("ok", "../etc", null, null, null, null, null),
                new EnqueueCommand("ok", "r", null, 5000, null, null, null),
                new EnqueueCommand("ok", "r", null, null, 0, null, null),
                new EnqueueCommand("ok", "r", null, null, null, List.of(existing, 987654L), null),
                new EnqueueCommand("ok", "r", null, null, null, null, List.of(6)),
                new EnqueueCommand("ok", "r", null, null, null, null, List.of(0, 9)),
                new EnqueueCommand(null, "r", null, null, null, null, null),
                item("fine-too")),
                List.of(InvalidBatchException.ItemError.of(9, "priority", "priority must be a whole number")));

        assertThatThrownBy(() -> queue.enqueueBatch(cmd, null, OPS))
                .isInstanceOfSatisfying(InvalidBatchException.class, e -> {
                    assertThat(e.field()).isEqualTo("jobs[1].agent");
                    assertThat(e.getMessage()).contains("9 jobs of the batch are invalid; nothing was enqueued");
                    assertThat(e.errors()).extracting(InvalidBatchException.ItemError::field).containsExactly(
                            "jobs[1].agent", "jobs[2].repo", "jobs[3].priority", "jobs[4].max_attempts",
                            "jobs[5].depends_on", "jobs[6].depends_on_index", "jobs[7].depends_on_index",
                            "jobs[8].agent", "jobs[9].priority");
                    assertThat(e.errors().get(4).detail()).contains("unknown job(s) [987654]");
                    assertThat(e.errors().get(5).detail()).contains("earlier jobs of the batch (0..5), not 6");
                });
        assertThat(jobs()).isEqualTo(1);
        assertThat(edges()).isZero();
    }

    @Test
    void a_batch_holds_one_to_a_thousand_jobs() {
        List<EnqueueCommand> many = new ArrayList<>();
        for (int i = 0; i <= QueueService.MAX_BATCH_JOBS; i++) {
            many.add(item("r"));
        }
        assertThatThrownBy(() -> queue.enqueueBatch(new EnqueueBatchCommand(many, List.of()), null, OPS))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1..1000 jobs; it holds 1001")
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo("jobs");
        assertThatThrownBy(() -> queue.enqueueBatch(new EnqueueBatchCommand(List.of(), List.of()), null, OPS))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("it holds 0");

        QueueService.EnqueuedBatch b = queue.enqueueBatch(new EnqueueBatchCommand(many.subList(0, 1000), List.of()),
                null, OPS);
        assertThat(b.jobs()).hasSize(1000);
        assertThat(jobs()).isEqualTo(1000);
    }

    @Test
    void items_depend_on_earlier_items_and_on_existing_jobs() {
        long existing = queue.enqueue(item("r"), null, OPS).job().id();

        QueueService.EnqueuedBatch b = queue.enqueueBatch(batch(
                item("build"),
                new EnqueueCommand("ok", "app", "{\"t\": 1}", 7, 2, List.of(existing), List.of(0)),
                new EnqueueCommand("ok", "test", null, null, null, null, List.of(1, 0, 1))), null, OPS);

        List<Long> ids = b.jobs().stream().map(Job::id).toList();
        assertThat(ids).isSorted().doesNotContain(existing);
        assertThat(b.replayed()).isFalse();
        assertThat(b.dependsOn()).containsExactly(List.of(), List.of(existing, ids.get(0)),
                List.of(ids.get(0), ids.get(1)));
        assertThat(b.jobs().get(1).payload()).isEqualTo("{\"t\": 1}");
        assertThat(b.jobs().get(1).priority()).isEqualTo(7);
        assertThat(h.f.db.count("SELECT count(*) FROM job_dependencies WHERE job_id = " + ids.get(1)
                + " AND depends_on IN (" + existing + ", " + ids.get(0) + ")")).isEqualTo(2);
        assertThat(h.f.db.count("SELECT count(*) FROM job_dependencies WHERE job_id = " + ids.get(2))).isEqualTo(2);
        assertThat(queue.job(ids.get(2), OPS).orElseThrow().dependsOn()).containsExactly(ids.get(0), ids.get(1));
    }

    @Test
    void items_of_a_failed_dependency_are_answered_cancelled_with_their_dependants_in_the_batch() {
        long failed = h.f.job().status("failed").finishedAt(h.now()).insert();

        QueueService.EnqueuedBatch b = queue.enqueueBatch(batch(item("free"),
                new EnqueueCommand("ok", "doomed", null, null, null, List.of(failed), null),
                new EnqueueCommand("ok", "after", null, null, null, null, List.of(1))), null, OPS);

        assertThat(b.jobs()).extracting(j -> j.status().db()).containsExactly("queued", "cancelled", "cancelled");
        assertThat(b.jobs().get(1).error()).isEqualTo("dependency " + failed + " ended failed");
    }

    @Test
    void one_key_covers_the_whole_batch() {
        EnqueueBatchCommand cmd = batch(item("a"), new EnqueueCommand("ok", "b", null, null, null, null, List.of(0)));
        QueueService.EnqueuedBatch first = queue.enqueueBatch(cmd, "release-7", OPS);
        List<Long> ids = first.jobs().stream().map(Job::id).toList();

        QueueService.EnqueuedBatch again = queue.enqueueBatch(cmd, "release-7", OPS);
        assertThat(again.replayed()).isTrue();
        assertThat(again.jobs()).extracting(Job::id).containsExactlyElementsOf(ids);
        assertThat(jobs()).isEqualTo(2);

        assertThatThrownBy(() -> queue.enqueueBatch(batch(item("a"), item("b")), "release-7", OPS))
                .isInstanceOf(ConflictException.class).hasMessageContaining("was used for job " + ids.get(0));
        assertThatThrownBy(() -> queue.enqueueBatch(batch(item("a")), "release-7", OPS))
                .as("a shorter batch").isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> queue.enqueue(item("a"), "release-7", OPS))
                .as("a single enqueue with the batch's key").isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> queue.enqueueBatch(cmd, "release-7", OTHER))
                .isInstanceOf(ConflictException.class).hasMessageContaining("already used by another client")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(Long.toString(ids.get(0))));

        queue.enqueue(item("single"), "single-key", OPS);
        assertThatThrownBy(() -> queue.enqueueBatch(batch(item("single")), "single-key", OPS))
                .as("a batch with a single enqueue's key").isInstanceOf(ConflictException.class);
        assertThat(jobs()).isEqualTo(3);
        assertThat(edges()).isEqualTo(1);
    }

    @Test
    void of_many_clients_sending_one_batch_with_one_key_at_once_one_writes_and_all_get_its_jobs() throws Exception {
        EnqueueBatchCommand cmd = batch(item("a"), item("b"), new EnqueueCommand("ok", "c", null, null, null, null,
                List.of(0, 1)));
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<QueueService.EnqueuedBatch>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return queue.enqueueBatch(cmd, "same-batch", OPS);
            }));
        }
        go.countDown();
        List<List<Long>> answers = new ArrayList<>();
        int fresh = 0;
        for (CompletableFuture<QueueService.EnqueuedBatch> c : clients) {
            QueueService.EnqueuedBatch b = c.get(60, TimeUnit.SECONDS);
            fresh += b.replayed() ? 0 : 1;
            answers.add(b.jobs().stream().map(Job::id).toList());
        }
        assertThat(fresh).isEqualTo(1);
        assertThat(answers).allSatisfy(a -> assertThat(a).isEqualTo(answers.get(0)).hasSize(3));
        assertThat(jobs()).isEqualTo(3);
        assertThat(edges()).isEqualTo(2);
    }

    @Test
    void every_item_must_be_in_the_callers_repos_and_a_refusal_is_audited() {
        assertThatThrownBy(() -> queue.enqueueBatch(batch(item("team_a-web"), item("team-b-web"), item("team_a-x"),
                item("other")), null, TEAM_A))
                .isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("may not enqueue for repo 'team-b-web' (jobs[1] and 1 more: jobs[1, 3]");
        assertThat(jobs()).isZero();
        List<AuditEvent> trail = new AuditTrail(h.node().stores().audit(), h.f.clock)
                .page(new AuditTrail.Filter("team-a", null, null, null, null), null, 10).events();
        assertThat(trail).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo("enqueue");
            assertThat(e.result()).isEqualTo(AuditEvent.Result.FORBIDDEN);
            assertThat(e.target()).isEqualTo("repo:team-b-web");
            assertThat(e.detail()).contains("jobs[1]");
        });

        assertThat(queue.enqueueBatch(batch(item("team_a-web"), item("team_a-x")), null, TEAM_A).jobs()).hasSize(2);
    }
}
