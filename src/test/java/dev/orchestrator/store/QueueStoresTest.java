package dev.orchestrator.store;

import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.RunRow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queue's guarded SQL on real PostgreSQL: claims, fences, finishes, recovery, constraints. */
class QueueStoresTest {
    private QueueFixture f;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
    }

    private ClaimedJob claim() {
        return f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(10)).orElseThrow();
    }

    private RunStart attach(ClaimedJob job) {
        return f.claims.attachRun(job, f.node, f.clock.instant(), id -> Path.of("/tmp/orch-test-runs", "" + id, "output.log"))
                .orElseThrow();
    }

    @Test
    void check_constraint_rejects_a_queued_row_that_owns_a_run() {
        assertThatThrownBy(() -> f.job().pid(35L).runId(759L).insert())
                .hasMessageContaining("jobs_queued_owns_no_run");
        long id = f.runningWithRun(7, 70).insert();
        assertThatThrownBy(() -> f.db.execute("UPDATE jobs SET status = 'queued' WHERE id = " + id))
                .hasMessageContaining("jobs_queued_owns_no_run");
        assertThat(JobRow.read(f.ds, id).status()).isEqualTo("running");
    }

    @Test
    void check_constraints_reject_a_running_row_without_a_claim_and_a_pid_without_a_run() {
        assertThatThrownBy(() -> f.job().status("running").insert()).hasMessageContaining("jobs_running_is_claimed");
        assertThatThrownBy(() -> TestJobs.running(f.ds, "n", f.clock.instant()).pid(5L).insert())
                .hasMessageContaining("jobs_pid_belongs_to_run");
    }

    @Test
    void claims_by_priority_then_age_and_skips_jobs_not_yet_available() {
        long old = f.job().insert();
        long later = f.job().insert();
        long urgent = f.job().priority(5).insert();
        long backedOff = f.job().priority(10).availableAt(f.clock.instant().plusSeconds(30)).insert();

        assertThat(List.of(claim().id(), claim().id(), claim().id())).containsExactly(urgent, old, later);
        assertThat(f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(10))).isEmpty();

        f.clock.tick(Duration.ofSeconds(30));
        assertThat(claim().id()).isEqualTo(backedOff);
    }

    @Test
    void never_claims_beyond_max_concurrency() {
        for (int i = 0; i < 3; i++) {
            f.job().insert();
        }
        ClaimedJob a = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(2)).orElseThrow();
        f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(2)).orElseThrow();

        assertThat(f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(2))).isEmpty();

        RunStart run = attach(a);
        f.finishes.finishDone(a.id(), run.runId(), 0, f.clock.instant());
        assertThat(f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(2))).isPresent();
    }

    @Test
    void the_claim_writes_ownership_as_null_and_stamps_the_claim() {
        long id = f.job().insert();
        ClaimedJob c = claim();

        JobRow r = JobRow.read(f.ds, id);
        assertThat(r.status()).isEqualTo("running");
        assertThat(r.runId()).isNull();
        assertThat(r.pid()).isNull();
        assertThat(r.startedAt()).isEqualTo(f.clock.instant());
        assertThat(r.claimedBy()).isEqualTo(f.node.id());
        assertThat(c.claimedAt()).isEqualTo(f.clock.instant());
    }

    @Test
    void attaching_a_run_is_fenced_by_the_claim() {
        f.job().insert();
        ClaimedJob stale = claim();
        // the claim is reaped (spawn grace expired) and claimed again later
        assertThat(TestStatements.reapToQueued(f.ds, stale.id(), null, "spawn grace expired", f.clock.instant())).isTrue();
        f.clock.tick(Duration.ofSeconds(61));
        ClaimedJob fresh = claim();

        assertThat(f.claims.attachRun(stale, f.node, f.clock.instant(), id -> Path.of("/tmp", "" + id, "output.log"))).isEmpty();
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM agent_runs")).isZero();
        RunStart run = attach(fresh);
        assertThat(run.attempt()).isEqualTo(1);
        assertThat(JobRow.read(f.ds, fresh.id()).runId()).isEqualTo(run.runId());
    }

    @Test
    void a_job_that_another_job_depends_on_cannot_be_deleted_but_the_dependant_can() {
        long dependency = f.job().insert();
        long dependant = f.job().insert();
        f.db.execute("INSERT INTO job_dependencies VALUES (" + dependant + ", " + dependency + ")");

        assertThatThrownBy(() -> f.db.execute("DELETE FROM jobs WHERE id = " + dependency))
                .hasMessageContaining("job_dependencies_depends_on_fkey");

        f.db.execute("DELETE FROM jobs WHERE id = " + dependant);
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM job_dependencies")).isZero();
        f.db.execute("DELETE FROM jobs WHERE id = " + dependency);
    }

    @Test
    void a_stopped_node_claims_nothing() {
        long id = f.job().insert();
        f.nodes.registerNode(f.node, f.clock.instant());
        f.db.execute("UPDATE nodes SET stopped_at = now() WHERE id = '" + f.node.id() + "'"); // fenced

        assertThat(f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(10))).isEmpty();
        assertThat(JobRow.read(f.ds, id).status()).isEqualTo("queued");

        f.db.execute("UPDATE nodes SET stopped_at = NULL WHERE id = '" + f.node.id() + "'"); // rejoined
        assertThat(f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(10))).isPresent();
    }

    @Test
    void an_unstarted_job_is_requeued_only_while_no_pid_is_stamped() {
        f.job().insert();
        ClaimedJob slow = claim();
        RunStart run = attach(slow);
        // the start was only slow: its pid lands before the reaper's statement
        f.claims.stampProcess(slow.id(), run.runId(), 4242, f.clock.instant(), null, f.clock.instant());

        assertThat(f.finishes.reapUnstartedToQueued(slow.id(), run.runId(), "spawn grace expired", f.clock.instant()))
                .isFalse();
        assertThat(f.finishes.reapUnstartedToQueued(slow.id(), null, "spawn grace expired", f.clock.instant())).isFalse();
        JobRow r = JobRow.read(f.ds, slow.id());
        assertThat(r.status()).isEqualTo("running");
        assertThat(r.pid()).isEqualTo(4242L);

        f.job().insert();
        ClaimedJob stuck = claim();
        assertThat(f.finishes.reapUnstartedToQueued(stuck.id(), 999L, "wrong run", f.clock.instant())).isFalse();
        assertThat(f.finishes.reapUnstartedToQueued(stuck.id(), null, "spawn grace expired", f.clock.instant())).isTrue();
        assertThat(JobRow.read(f.ds, stuck.id()).status()).isEqualTo("queued");
    }

    @Test
    void pruning_keeps_a_job_while_any_job_depends_on_it_even_a_finished_one() {
        Instant now = f.clock.instant();
        long dependency = f.job().insert();
        long dependant = f.job().insert();
        f.db.execute("UPDATE jobs SET status = 'failed', finished_at = TIMESTAMPTZ '" + now.minus(Duration.ofDays(20))
                + "' WHERE id = " + dependency);
        f.db.execute("UPDATE jobs SET status = 'cancelled', finished_at = TIMESTAMPTZ '" + now.minus(Duration.ofDays(1))
                + "' WHERE id = " + dependant);
        f.db.execute("INSERT INTO job_dependencies VALUES (" + dependant + ", " + dependency + ")");

        // the cancelled dependant may still be retried: its failed dependency must then cancel it again
        assertThat(f.control.pruneFinished(now.minus(Duration.ofDays(14)), 100)).isEmpty();

        Instant later = now.plus(Duration.ofDays(1));
        assertThat(f.control.pruneFinished(later, 100)).containsExactly(dependant);
        assertThat(f.control.pruneFinished(later, 100)).containsExactly(dependency);
    }

    @Test
    void a_late_finisher_of_an_older_run_changes_nothing_and_is_told_so() {
        f.job().insert();
        ClaimedJob first = claim();
        RunStart oldRun = attach(first);
        f.claims.stampProcess(first.id(), oldRun.runId(), 4242, f.clock.instant(), null, f.clock.instant());
        assertThat(TestStatements.reapToQueued(f.ds, first.id(), oldRun.runId(), "process gone", f.clock.instant())).isTrue();
        f.clock.tick(Duration.ofSeconds(1));
        ClaimedJob second = claim();
        RunStart newRun = attach(second);
        assertThat(newRun.attempt()).isEqualTo(2);

        assertThat(f.finishes.finishDone(first.id(), oldRun.runId(), 0, f.clock.instant())).isEqualTo(Ownership.LOST);
        assertThat(f.finishes.finishFailedAttempt(first.id(), oldRun.runId(), 1, false, "late", f.clock.instant(),
                f.clock.instant())).isEmpty();
        assertThat(f.finishes.requeueTransient(first.id(), oldRun.runId(), 75, "late", f.clock.instant(),
                f.clock.instant())).isEqualTo(Ownership.LOST);
        assertThat(f.claims.stampProcess(first.id(), oldRun.runId(), 1, f.clock.instant(), null, f.clock.instant()))
                .isEqualTo(Ownership.LOST);

        JobRow r = JobRow.read(f.ds, first.id());
        assertThat(r.status()).isEqualTo("running");
        assertThat(r.runId()).isEqualTo(newRun.runId());
        assertThat(r.attempts()).isEqualTo(0);
        assertThat(RunRow.read(f.ds, oldRun.runId()).outcome()).isEqualTo("abandoned");
        assertThat(RunRow.read(f.ds, newRun.runId()).finishedAt()).isNull();
    }

    @Test
    void a_failed_attempt_without_attempts_left_fails_the_job_and_keeps_the_link_to_its_run() {
        f.job().maxAttempts(1).insert();
        ClaimedJob c = claim();
        RunStart run = attach(c);
        f.claims.stampProcess(c.id(), run.runId(), 99, f.clock.instant(), null, f.clock.instant());

        Optional<JobStatus> next = f.finishes.finishFailedAttempt(c.id(), run.runId(), 3, false, "exit code 3",
                f.clock.instant(), f.clock.instant());

        assertThat(next).contains(JobStatus.FAILED);
        JobRow r = JobRow.read(f.ds, c.id());
        assertThat(r.status()).isEqualTo("failed");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.runId()).isEqualTo(run.runId());
        assertThat(r.pid()).isEqualTo(99L);
        assertThat(r.finishedAt()).isEqualTo(f.clock.instant());
        assertThat(r.error()).isEqualTo("exit code 3");
        RunRow runRow = RunRow.read(f.ds, run.runId());
        assertThat(runRow.outcome()).isEqualTo("failed");
        assertThat(runRow.exitCode()).isEqualTo(3);
    }

    @Test
    void a_run_records_node_host_boot_pid_and_process_start() {
        f.job().insert();
        ClaimedJob c = claim();
        RunStart run = attach(c);
        Instant processStart = Instant.parse("2026-06-17T09:59:59.120Z");
        assertThat(f.claims.stampProcess(c.id(), run.runId(), 4321, processStart, null, f.clock.instant()).owned()).isTrue();

        RunRow r = RunRow.read(f.ds, run.runId());
        assertThat(r.nodeId()).isEqualTo(f.node.id());
        assertThat(r.host()).isEqualTo(f.node.host());
        assertThat(r.bootId()).isEqualTo(f.node.bootId());
        assertThat(r.pid()).isEqualTo(4321L);
        assertThat(r.processStartedAt()).isEqualTo(processStart);
        assertThat(r.logPath()).isEqualTo("/tmp/orch-test-runs/" + run.runId() + "/output.log");
        assertThat(JobRow.read(f.ds, c.id()).pid()).isEqualTo(4321L);
    }

    @Test
    void status_counts_name_every_status() {
        f.job().insert();
        f.job().status("done").finishedAt(f.clock.instant()).insert();
        Map<JobStatus, Long> counts = f.control.statusCounts();
        assertThat(counts).containsEntry(JobStatus.QUEUED, 1L).containsEntry(JobStatus.DONE, 1L)
                .containsEntry(JobStatus.RUNNING, 0L).containsEntry(JobStatus.FAILED, 0L)
                .containsEntry(JobStatus.CANCELLED, 0L);
    }

    @Test
    void next_available_at_is_the_earliest_backed_off_job() {
        f.job().insert();
        f.job().availableAt(f.clock.instant().plusSeconds(90)).insert();
        f.job().availableAt(f.clock.instant().plusSeconds(30)).insert();
        assertThat(f.claims.nextAvailableAt(f.clock.instant())).contains(f.clock.instant().plusSeconds(30));
    }
}
