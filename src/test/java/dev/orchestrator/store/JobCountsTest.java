package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.QueueFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The job counts by status ({@code job_counts}, kept by the triggers on {@code jobs}, V5) after each
 * kind of writer: each test makes one kind of transition and compares the counts with
 * {@code count(*)} over {@code jobs}, and with the figures it expects.
 */
class JobCountsTest {
    private final QueueFixture f = new QueueFixture();
    private final LocalJpa jobs = QueueFixture.jobs();

    private OffsetDateTime now() {
        return f.clock.instant().atOffset(ZoneOffset.UTC);
    }

    private ClaimedJob claim() {
        return f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(100)).orElseThrow();
    }

    private RunStart attach(ClaimedJob job) {
        return f.claims.attachRun(job, f.node, f.clock.instant(), id -> Path.of("/tmp/orch-test-runs", "" + id,
                "output.log")).orElseThrow();
    }

    private RunStart claimAndAttach() {
        return attach(claim());
    }

    /** The enqueue as the service makes it: {@link EnqueueStore}, job and dependency edges in one transaction. */
    private long enqueue(String repo, List<Long> dependsOn) {
        return new EnqueueStore(f.ds).insert(
                List.of(Job.enqueue(new NewJob("echo", new RepoName(repo), "{}", 0, 2, dependsOn), now(), null)),
                List.of(dependsOn), List.of(List.of())).get(0);
    }

    /** What count(*) over jobs says, every status present. */
    private Map<JobStatus, Long> counted() {
        Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
        for (JobStatus s : JobStatus.values()) {
            counts.put(s, f.db.count("SELECT count(*) FROM jobs WHERE status = '" + s.db() + "'"));
        }
        return counts;
    }

    /** The counters agree with count(*), and with {@code expected} (queued, running, done, failed, cancelled). */
    private void assertCounts(long queued, long running, long done, long failed, long cancelled) {
        Map<JobStatus, Long> counters = f.control.statusCounts();
        assertThat(counters).as("counters vs count(*)").isEqualTo(counted());
        assertThat(counters).containsExactlyInAnyOrderEntriesOf(Map.of(JobStatus.QUEUED, queued,
                JobStatus.RUNNING, running, JobStatus.DONE, done, JobStatus.FAILED, failed,
                JobStatus.CANCELLED, cancelled));
    }

    private long extraRows() {
        return f.db.count("SELECT count(*) FROM job_counts WHERE slot >= 64");
    }

    @Test
    void an_empty_queue_counts_zero_everywhere() {
        assertCounts(0, 0, 0, 0, 0);
        assertThat(f.db.count("SELECT count(*) FROM job_counts")).as("the base rows").isEqualTo(64);
    }

    @Test
    void an_enqueue_counts_a_queued_job() {
        long dependency = enqueue("app", List.of());
        enqueue("app", List.of(dependency));
        assertCounts(2, 0, 0, 0, 0);
    }

    @Test
    void claim_moves_a_job_from_queued_to_running() {
        f.job().insert();
        f.job().insert();
        claim();
        assertCounts(1, 1, 0, 0, 0);
    }

    @Test
    void attach_and_pid_stamp_leave_the_counts_alone() {
        f.job().insert();
        RunStart run = claimAndAttach();
        f.claims.stampProcess(run.jobId(), run.runId(), 4321, f.clock.instant(), null, f.clock.instant());
        assertCounts(0, 1, 0, 0, 0);
    }

    @Test
    void finish_done_moves_running_to_done() {
        f.job().insert();
        RunStart run = claimAndAttach();
        assertThat(f.finishes.finishDone(run.jobId(), run.runId(), 0, f.clock.instant()).owned()).isTrue();
        assertCounts(0, 0, 1, 0, 0);
    }

    @Test
    void a_failed_attempt_requeues_and_the_last_one_fails() {
        f.job().maxAttempts(2).insert();
        RunStart first = claimAndAttach();
        f.finishes.finishFailedAttempt(first.jobId(), first.runId(), 1, false, "exit 1", f.clock.instant(),
                f.clock.instant());
        assertCounts(1, 0, 0, 0, 0);
        RunStart second = claimAndAttach();
        f.finishes.finishFailedAttempt(second.jobId(), second.runId(), 1, false, "exit 1", f.clock.instant(),
                f.clock.instant());
        assertCounts(0, 0, 0, 1, 0);
    }

    @Test
    void transient_and_uncounted_requeues_return_running_jobs_to_queued() {
        f.job().insert();
        f.job().insert();
        f.job().insert();
        RunStart a = claimAndAttach();
        RunStart b = claimAndAttach();
        RunStart c = claimAndAttach();
        f.finishes.requeueTransient(a.jobId(), a.runId(), 75, "later", f.clock.instant(), f.clock.instant());
        f.finishes.requeueAbandoned(b.jobId(), b.runId(), null, "stopping", f.clock.instant());
        f.finishes.failTransientExhausted(c.jobId(), c.runId(), 75, "later, no more", f.clock.instant());
        assertCounts(2, 0, 0, 1, 0);
    }

    @Test
    void a_late_finisher_that_lost_its_run_changes_no_count() {
        f.job().insert();
        RunStart run = claimAndAttach();
        f.finishes.requeueAbandoned(run.jobId(), run.runId(), null, "stopping", f.clock.instant());
        assertThat(f.finishes.finishDone(run.jobId(), run.runId(), 0, f.clock.instant()).owned()).isFalse();
        assertCounts(1, 0, 0, 0, 0);
    }

    @Test
    void cancels_of_running_jobs_with_and_without_a_run() {
        f.job().insert();
        f.job().insert();
        ClaimedJob unstarted = claim();
        RunStart started = claimAndAttach();
        f.finishes.finishCancelled(unstarted.id(), null, null, "cancelled", f.clock.instant());
        f.finishes.finishCancelled(started.jobId(), started.runId(), 143, "cancelled", f.clock.instant());
        assertCounts(0, 0, 0, 0, 2);
    }

    @Test
    void the_reapers_requeue_of_an_unstarted_claim() {
        f.job().insert();
        ClaimedJob c = claim();
        assertThat(f.finishes.reapUnstartedToQueued(c.id(), null, "spawn grace", f.clock.instant())).isTrue();
        assertCounts(1, 0, 0, 0, 0);
    }

    @Test
    void the_sanitizer_heals_without_moving_a_count() {
        f.withQueuedOwnershipCheckLifted(() -> {
            f.job().runId(7L).pid(8L).insert();
            assertThat(f.finishes.sanitizeImpossibleQueued(f.clock.instant())).hasSize(1);
        });
        assertCounts(1, 0, 0, 0, 0);
    }

    @Test
    void cancel_and_retry_through_the_entity() {
        long queued = f.job().insert();
        long failed = f.job().status("failed").finishedAt(f.clock.instant()).insert();
        jobs.changeLocked(queued, job -> {
            job.cancel("cancelled by operator", now());
            return true;
        });
        assertCounts(0, 0, 0, 1, 1);
        jobs.changeLocked(failed, job -> {
            job.retry(now());
            return true;
        });
        assertCounts(1, 0, 0, 0, 1);
    }

    @Test
    void cancelling_doomed_queued_jobs_counts_each_one_once() {
        long dead = f.job().status("failed").finishedAt(f.clock.instant()).insert();
        long child = enqueue("app", List.of(dead));
        enqueue("app", List.of(child)); // a chain: cancelled in a second round
        long requested = f.job().insert();
        f.db.execute("UPDATE jobs SET cancel_requested = true WHERE id = " + requested);
        assertCounts(3, 0, 0, 1, 0);

        assertThat(f.control.cancelDoomedQueued("cancelled", f.clock.instant())).hasSize(3);

        assertCounts(0, 0, 0, 1, 3);
    }

    @Test
    void a_request_to_cancel_a_running_job_changes_no_count() {
        f.job().insert();
        ClaimedJob c = claim();
        f.control.requestCancel(c.id(), f.clock.instant(), new AuditEvent(null, f.clock.instant(), "op", "cancel",
                "job:" + c.id(), AuditEvent.Result.IN_PROGRESS, null, null));
        assertCounts(0, 1, 0, 0, 0);
    }

    @Test
    void retention_deletes_take_their_counts_along() {
        Instant old = f.clock.instant().minusSeconds(86_400);
        for (int i = 0; i < 5; i++) {
            f.job().status("done").finishedAt(old.plusSeconds(i)).insert(); // oldest first
        }
        f.job().status("failed").finishedAt(old.plusSeconds(10)).insert();
        f.job().status("cancelled").finishedAt(f.clock.instant()).insert(); // too young
        f.job().insert();

        assertThat(f.control.pruneFinished(f.clock.instant().minusSeconds(3600), 4)).hasSize(4);
        assertCounts(1, 0, 1, 1, 1);
        assertThat(f.control.pruneFinished(f.clock.instant().minusSeconds(3600), 4)).hasSize(2);
        assertCounts(1, 0, 0, 0, 1);
    }

    @Test
    void an_operators_bulk_sql_moves_the_counts_too() {
        for (int i = 0; i < 10; i++) {
            f.job().insert();
        }
        f.db.execute("INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at, finished_at) "
                + "SELECT 'echo', 'bulk', 'done', now(), now(), now(), now() FROM generate_series(1, 100)");
        assertCounts(10, 0, 100, 0, 0);

        f.db.execute("UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE status = 'queued' AND id % 2 = 0");
        assertCounts(5, 0, 100, 0, 5);

        f.db.execute("UPDATE jobs SET error = 'looked at' WHERE status = 'done'");
        assertCounts(5, 0, 100, 0, 5);

        f.db.execute("DELETE FROM jobs WHERE status = 'done' AND id % 4 = 0");
        assertCounts(5, 0, 75, 0, 5);
    }

    @Test
    void an_upsert_counts_what_it_inserted_and_what_it_updated() {
        String upsert = "INSERT INTO jobs (agent, repo, available_at, created_at, updated_at, idempotency_key, "
                + "request_hash) VALUES ('echo', 'app', now(), now(), now(), 'k1', 'h') "
                + "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL ";
        f.db.execute(upsert + "DO NOTHING");
        f.db.execute(upsert + "DO NOTHING");
        assertCounts(1, 0, 0, 0, 0);
        f.db.execute(upsert + "DO UPDATE SET status = 'cancelled', finished_at = now()");
        assertCounts(0, 0, 0, 0, 1);
    }

    @Test
    void truncate_resets_the_counts() {
        f.job().insert();
        f.job().status("done").finishedAt(f.clock.instant()).insert();
        f.db.execute("TRUNCATE jobs CASCADE");
        assertCounts(0, 0, 0, 0, 0);
    }

    @Test
    void a_write_that_finds_every_base_row_taken_adds_a_row_instead_of_waiting() throws SQLException {
        try (Connection holder = f.ds.getConnection(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("SELECT slot FROM job_counts WHERE slot < 64 FOR UPDATE");

            try (Connection writer = f.ds.getConnection(); Statement w = writer.createStatement()) {
                w.execute("SET lock_timeout = '2s'"); // a wait for a counter row would fail the insert
                for (int i = 0; i < 2; i++) {
                    w.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                            + "VALUES ('echo', 'app', now(), now(), now())");
                }
                w.execute("RESET lock_timeout");
            }
            holder.rollback();
        }
        assertThat(extraRows()).isEqualTo(2);
        assertCounts(2, 0, 0, 0, 0);
    }

    @Test
    void an_update_that_keeps_the_status_writes_no_counter_row() throws SQLException {
        long id = f.job().insert();
        try (Connection holder = f.ds.getConnection(); Statement s = holder.createStatement()) {
            holder.setAutoCommit(false);
            s.execute("SELECT slot FROM job_counts WHERE slot < 64 FOR UPDATE");
            try (Connection writer = f.ds.getConnection(); Statement w = writer.createStatement()) {
                w.execute("SET lock_timeout = '2s'");
                w.execute("UPDATE jobs SET priority = 5, error = 'x' WHERE id = " + id);
                w.execute("RESET lock_timeout");
            }
            holder.rollback();
        }
        assertThat(extraRows()).as("no counter row written, not even an extra one").isZero();
        assertCounts(1, 0, 0, 0, 0);
    }

    @Test
    void a_writer_above_read_committed_adds_a_row_of_its_own() throws SQLException {
        f.job().insert();
        f.job().insert();
        try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            s.execute("UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE status = 'queued'");
            // a base row changed after this transaction's snapshot could not be updated here
            f.job().status("done").finishedAt(f.clock.instant()).insert();
            c.commit();
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        assertThat(extraRows()).isEqualTo(1);
        assertCounts(0, 0, 1, 0, 2);
    }

    @Test
    void compaction_folds_the_extra_rows_and_keeps_every_total() throws SQLException {
        f.job().insert();
        for (int i = 0; i < 3; i++) {
            try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
                c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
                c.setAutoCommit(false);
                s.execute("INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at, finished_at) "
                        + "VALUES ('echo', 'app', 'failed', now(), now(), now(), now())");
                c.commit();
                c.setAutoCommit(true);
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
        }
        assertThat(extraRows()).isEqualTo(3);

        assertThat(f.control.compactCounts()).isEqualTo(3);

        assertThat(extraRows()).isZero();
        assertCounts(1, 0, 0, 3, 0);
        assertThat(f.control.compactCounts()).as("nothing left to fold").isZero();
        assertCounts(1, 0, 0, 3, 0);
    }

    @Test
    void a_recount_repairs_counts_after_writes_that_bypassed_the_triggers() {
        f.job().insert();
        f.db.execute("ALTER TABLE jobs DISABLE TRIGGER job_counts_insert");
        try {
            f.job().insert();
        } finally {
            f.db.execute("ALTER TABLE jobs ENABLE TRIGGER job_counts_insert");
        }
        assertThat(f.control.statusCounts()).containsEntry(JobStatus.QUEUED, 1L);

        f.db.execute("SELECT job_counts_recount()");

        assertCounts(2, 0, 0, 0, 0);
    }
}
