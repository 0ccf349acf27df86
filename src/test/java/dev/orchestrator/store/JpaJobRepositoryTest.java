package dev.orchestrator.store;

import dev.orchestrator.testing.JobRow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.job.IllegalJobTransitionException;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The entity path of the operator transitions, through the application's persistence unit on real
 * PostgreSQL: the job is loaded under a row lock, changed by its entity method, and written by
 * EclipseLink, where {@code RunOwnershipListener} is what releases the run ownership on retry.
 */
class JpaJobRepositoryTest {
    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 6, 17, 11, 0, 0, 0, ZoneOffset.UTC);

    private final QueueFixture f = new QueueFixture();
    private final LocalJpa jobs = QueueFixture.jobs();

    private long failedJobWithItsRunAsHistory() {
        long id = TestJobs.job(f.ds).status("failed").runId(501L).pid(4242L)
                .startedAt(Instant.parse("2026-06-17T10:00:00Z")).claimedBy("n1")
                .finishedAt(Instant.parse("2026-06-17T10:05:00Z")).attempts(2).maxAttempts(2).insert();
        f.db.execute("UPDATE jobs SET transient_attempts = 3, cancel_requested = true, error = 'exit code 1' "
                + "WHERE id = " + id);
        return id;
    }

    @Test
    void retry_through_the_entity_releases_the_finished_runs_ownership_in_the_listener() {
        long id = failedJobWithItsRunAsHistory();

        boolean ownedBeforeTheWrite = jobs.changeLocked(id, job -> {
            job.retry(NOW);
            return job.hasRunOwnership(); // the entity method itself keeps the history...
        }).orElseThrow();

        assertThat(ownedBeforeTheWrite).isTrue();
        JobRow row = JobRow.read(f.ds, id); // ...the listener released it on the write
        assertThat(row.status()).isEqualTo("queued");
        assertThat(row.runId()).isNull();
        assertThat(row.pid()).isNull();
        assertThat(row.startedAt()).isNull();
        assertThat(row.claimedBy()).isNull();
        assertThat(row.finishedAt()).isNull();
        assertThat(row.attempts()).isEqualTo(0);
        assertThat(row.transientAttempts()).isEqualTo(0);
        assertThat(row.cancelRequested()).isEqualTo(false);
        assertThat(row.availableAt()).isEqualTo(NOW.toInstant());
        assertThat(row.error()).as("kept: why it failed last time").isEqualTo("exit code 1");
    }

    @Test
    void cancel_of_a_queued_job_through_the_entity() {
        long id = TestJobs.job(f.ds).insert();

        jobs.changeLocked(id, job -> {
            job.cancel("cancelled by operator", NOW);
            return true;
        });

        JobRow row = JobRow.read(f.ds, id);
        assertThat(row.status()).isEqualTo("cancelled");
        assertThat(row.error()).isEqualTo("cancelled by operator");
        assertThat(row.finishedAt()).isEqualTo(NOW.toInstant());
    }

    @Test
    void a_refused_transition_writes_nothing() {
        long id = TestJobs.job(f.ds).insert();

        assertThatThrownBy(() -> jobs.changeLocked(id, job -> {
            job.retry(NOW);
            return true;
        })).isInstanceOf(IllegalJobTransitionException.class);

        assertThat(JobRow.read(f.ds, id).status()).isEqualTo("queued");
        assertThat(jobs.changeLocked(987654L, Job::status)).isEmpty();
    }

    @Test
    void the_row_lock_makes_a_guarded_statement_wait_for_the_entity_write() throws Exception {
        long id = failedJobWithItsRunAsHistory();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> retry = CompletableFuture.runAsync(() -> jobs.changeLocked(id, job -> {
            locked.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            job.retry(NOW);
            return true;
        }));
        assertThat(locked.await(30, TimeUnit.SECONDS)).isTrue();
        // a claim meanwhile must not see the job: it is still failed, and its row is locked
        CompletableFuture<java.util.Optional<dev.orchestrator.domain.job.ClaimedJob>> claim = CompletableFuture
                .supplyAsync(() -> f.claims.claimNext(f.node.id(), NOW.toInstant().plusSeconds(1),
                        TestStatements.capacityOnly(5)));
        assertThat(claim.get(30, TimeUnit.SECONDS)).as("skipped, never waited for").isEmpty();
        release.countDown();
        retry.get(30, TimeUnit.SECONDS);

        assertThat(f.claims.claimNext(f.node.id(), NOW.toInstant().plusSeconds(1), TestStatements.capacityOnly(5))
                .map(c -> c.id())).contains(id);
    }
}
