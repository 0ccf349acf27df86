package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.IdempotencyKeyTakenException;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.job.UnknownDependencyException;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.QueueFixture;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The enqueue's statements on real PostgreSQL: a batch is one transaction, all or nothing. */
class EnqueueStoreTest {
    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 6, 17, 10, 0, 0, 123456000, ZoneOffset.UTC);

    private final QueueFixture f = new QueueFixture();
    private final EnqueueStore store = new EnqueueStore(f.ds);

    private static Job job(String repo, String key) {
        return Job.enqueueInBatch(new NewJob("ok", new RepoName(repo), "{\"n\": 1}", 5, 2, List.of()), NOW, key,
                key == null ? null : "hash", "ci");
    }

    private static <T> List<List<T>> none(int n) {
        List<List<T>> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(List.of());
        }
        return l;
    }

    private long jobs() {
        return f.db.count("SELECT count(*) FROM jobs");
    }

    private long edges() {
        return f.db.count("SELECT count(*) FROM job_dependencies");
    }

    @Test
    void a_batch_is_written_in_item_order_queued_and_owning_no_run() {
        List<Job> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batch.add(job("r" + i, null));
        }

        List<Long> ids = store.insert(batch, none(300), none(300));

        assertThat(ids).hasSize(300).isSorted().doesNotHaveDuplicates();
        for (int i = 0; i < 300; i += 37) {
            JobRow row = JobRow.read(f.ds, ids.get(i));
            assertThat(row.repo()).as("item %d", i).isEqualTo("r" + i);
            assertThat(row.status()).isEqualTo("queued");
            assertThat(row.runId()).isNull();
            assertThat(row.pid()).isNull();
            assertThat(row.startedAt()).isNull();
            assertThat(row.claimedBy()).isNull();
            assertThat(row.finishedAt()).isNull();
            assertThat(row.priority()).isEqualTo(5);
            assertThat(row.maxAttempts()).isEqualTo(2);
            assertThat(row.availableAt()).isEqualTo(NOW.toInstant());
        }
        assertThat(f.db.count("SELECT count(*) FROM jobs WHERE submitted_by = 'ci' AND payload = '{\"n\": 1}'"))
                .isEqualTo(300);
    }

    @Test
    void dependencies_point_at_earlier_items_and_at_existing_jobs() {
        long existing = f.job().insert();
        List<Long> ids = store.insert(List.of(job("a", null), job("b", null), job("c", null)),
                List.of(List.of(), List.of(existing), List.of(existing)),
                List.of(List.of(), List.of(0), List.of(0, 1)));

        assertThat(f.db.count("SELECT count(*) FROM job_dependencies WHERE job_id = " + ids.get(0))).isZero();
        assertThat(f.db.count("SELECT count(*) FROM job_dependencies WHERE job_id = " + ids.get(1)
                + " AND depends_on IN (" + existing + ", " + ids.get(0) + ")")).isEqualTo(2);
        assertThat(f.db.count("SELECT count(*) FROM job_dependencies WHERE job_id = " + ids.get(2)
                + " AND depends_on IN (" + existing + ", " + ids.get(0) + ", " + ids.get(1) + ")")).isEqualTo(3);
        assertThat(edges()).isEqualTo(5);
    }

    @Test
    void a_missing_dependency_writes_nothing() {
        long existing = f.job().insert();

        assertThatThrownBy(() -> store.insert(List.of(job("a", null), job("b", null)),
                List.of(List.of(existing), List.of(987654L)), List.of(List.of(), List.of(0))))
                .isInstanceOf(UnknownDependencyException.class)
                .satisfies(e -> assertThat(((UnknownDependencyException) e).ids()).containsExactly(987654L));

        assertThat(jobs()).isEqualTo(1);
        assertThat(edges()).isZero();
    }

    @Test
    void a_taken_key_on_the_last_item_writes_nothing() {
        store.insert(List.of(job("a", "k 2")), none(1), none(1));

        assertThatThrownBy(() -> store.insert(List.of(job("a", "k"), job("b", "k 1"), job("c", "k 2")),
                none(3), List.of(List.of(), List.of(0), List.of(1))))
                .isInstanceOf(IdempotencyKeyTakenException.class);

        assertThat(jobs()).isEqualTo(1);
        assertThat(edges()).isZero();
    }

    @Test
    void a_failing_dependency_insert_rolls_back_the_jobs_too() {
        // a constraint only this test adds makes the last statement of the transaction fail
        f.db.execute("ALTER TABLE job_dependencies ADD CONSTRAINT test_refuses_edges CHECK (job_id < 0)");
        try {
            assertThatThrownBy(() -> store.insert(List.of(job("a", null), job("b", null)), none(2),
                    List.of(List.of(), List.of(0)))).isInstanceOf(QueueStoreException.class);
        } finally {
            f.db.execute("ALTER TABLE job_dependencies DROP CONSTRAINT test_refuses_edges");
        }
        assertThat(jobs()).isZero();
        assertThat(edges()).isZero();
    }

    @Test
    void only_new_queued_jobs_are_accepted() {
        Job stored = job("a", null).stored(7);

        assertThatThrownBy(() -> store.insert(List.of(stored), none(1), none(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.insert(List.of(job("a", null), job("b", null)), none(2),
                List.of(List.of(), List.of(1)))).as("an item depending on itself")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(jobs()).isZero();
    }

    @Test
    void of_two_inserts_with_one_key_at_once_exactly_one_commits() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<List<Long>>> racers = new ArrayList<>();
        for (int r = 0; r < 6; r++) {
            racers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return store.insert(List.of(job("a", "same"), job("b", "same 1")), none(2), none(2));
            }));
        }
        go.countDown();
        int won = 0;
        int taken = 0;
        for (CompletableFuture<List<Long>> r : racers) {
            try {
                r.get(60, TimeUnit.SECONDS);
                won++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(IdempotencyKeyTakenException.class);
                taken++;
            }
        }
        assertThat(won).isEqualTo(1);
        assertThat(taken).isEqualTo(5);
        assertThat(jobs()).isEqualTo(2);
        assertThat(store.byKeys(List.of("same", "same 1"))).hasSize(2);
    }
}
