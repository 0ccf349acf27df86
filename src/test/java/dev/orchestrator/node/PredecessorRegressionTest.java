package dev.orchestrator.node;

import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.RunRow;

import dev.orchestrator.store.TestStatements;


import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.reaper.ReaperStatus;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.ImpossibleQueuedJob;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The predecessor's ORCH-126 regression tests (TC-01..TC-10, see shared/reference), ported to this
 * design on real PostgreSQL. Mapping of the predecessor's data-layer calls:
 * <ul>
 * <li>{@code requeue_running_jobs()} -> {@link OrchestratorNode#prepare()} (restart recovery of dead incarnations)</li>
 * <li>{@code mark_job(id, 'queued', run_id, error)} -> {@link JobStore#finishFailedAttempt} with attempts left</li>
 * <li>{@code mark_job_transient(id, secs, error)} -> {@link JobStore#requeueTransient}</li>
 * <li>{@code reap_running_job(id, 'queued', run_id, error)} -> {@link JobStore#reapToQueued}</li>
 * <li>{@code claim_next_job()} -> {@link JobStore#claimNext}</li>
 * <li>{@code mark_job(id, 'done'|'failed', run_id)} -> {@link JobStore#finishDone} / {@link JobStore#reapToFailed}</li>
 * <li>{@code find_impossible_queued_jobs} / {@code sanitize_impossible_queued} -> same names on {@link JobStore}</li>
 * <li>{@code JobReaper.reap_once} / {@code sanitize_impossible_queued_once} -> {@link Reaper} of a whole node</li>
 * </ul>
 * Rows the schema's CHECK constraint forbids (TC-05, TC-08, TC-09) are seeded with the constraint
 * lifted, exactly the situation the sanitizer and the clean claim exist for.
 */
class PredecessorRegressionTest {
    @TempDir
    Path tmp;

    private QueueFixture f;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
    }

    private JobRow row(long id) {
        return JobRow.read(f.ds, id);
    }

    private static void assertOwnsNoRun(JobRow r) {
        assertThat(r.runId()).isNull();
        assertThat(r.pid()).isNull();
        assertThat(r.startedAt()).isNull();
        assertThat(r.claimedBy()).isNull();
    }

    @Test
    @DisplayName("TC-01 (mandatory regression): restart recovery clears stale run ownership")
    void tc01_requeue_running_clears_stale_ownership() throws Exception {
        // the incident's row, left by an earlier server incarnation on this host whose JVM is gone
        f.db.execute("INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, started_at, heartbeat_at) "
                + "VALUES ('dead-node', 'test-host', 'old-boot', 35, now(), now(), now())");
        long jid = TestJobs.running(f.ds, "dead-node", Instant.parse("2026-06-17T10:00:00Z"))
                .runId(759L).pid(35L).insert();

        long n;
        try (NodeHarness h = NodeHarness.builder(tmp, f).build()) {
            n = h.start("new-node").reaperStatus().recoveredAtStartup(); // start() runs the restart recovery
        }

        assertThat(n).isEqualTo(1);
        JobRow r = row(jid);
        assertThat(r.status()).isEqualTo("queued");
        assertOwnsNoRun(r);
    }

    @Test
    @DisplayName("TC-02: requeue after a failed attempt resets run_id and pid, keeps the error")
    void tc02_failed_attempt_requeue_resets_ownership() {
        long jid = f.runningWithRun(760, 42).insert();

        Optional<JobStatus> next = f.finishes.finishFailedAttempt(jid, 760, 1, false, "exit_code=1", f.clock.instant(),
                f.clock.instant());

        assertThat(next).contains(JobStatus.QUEUED);
        JobRow r = row(jid);
        assertThat(r.status()).isEqualTo("queued");
        assertOwnsNoRun(r);
        assertThat(r.finishedAt()).isNull();
        assertThat(r.error()).isEqualTo("exit_code=1");
    }

    @Test
    @DisplayName("TC-03: transient requeue resets ownership but keeps the transient bookkeeping")
    void tc03_transient_requeue_resets_ownership_keeps_backoff() {
        long jid = f.runningWithRun(761, 50).transientAttempts(1).insert();
        Instant retryAt = f.clock.instant().plusSeconds(30);

        assertThat(f.finishes.requeueTransient(jid, 761, 75, "overloaded", retryAt, f.clock.instant()).owned()).isTrue();

        JobRow r = row(jid);
        assertThat(r.status()).isEqualTo("queued");
        assertOwnsNoRun(r);
        assertThat(r.transientAttempts()).isEqualTo(2);
        assertThat(r.availableAt()).isEqualTo(retryAt);
        assertThat(r.error()).isEqualTo("overloaded");
    }

    @Test
    @DisplayName("TC-04: the reaper's requeue resets ownership and its atomic guard makes a second call lose")
    void tc04_reap_to_queued_resets_and_guard_holds() {
        long jid = f.runningWithRun(762, 60).insert();

        assertThat(TestStatements.reapToQueued(f.ds, jid, 762L, "dead pid", f.clock.instant())).isTrue();

        JobRow r = row(jid);
        assertThat(r.status()).isEqualTo("queued");
        assertOwnsNoRun(r);
        assertThat(TestStatements.reapToQueued(f.ds, jid, null, "again", f.clock.instant())).isFalse();
    }

    @Test
    @DisplayName("TC-05: the claim leaves no stale pid or run_id behind (defence in depth)")
    void tc05_claim_clears_stale_pid_before_spawn() {
        f.withQueuedOwnershipCheckLifted(() -> {
            long jid = f.job().runId(900L).pid(999999L).insert();

            Optional<ClaimedJob> claimed = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(1));

            assertThat(claimed).isPresent();
            assertThat(claimed.get().id()).isEqualTo(jid);
            JobRow r = row(jid);
            assertThat(r.status()).isEqualTo("running");
            assertThat(r.pid()).isNull();
            assertThat(r.runId()).isNull();
            assertThat(r.startedAt()).isEqualTo(f.clock.instant()); // the claim still stamps started_at
        });
    }

    @Test
    @DisplayName("TC-06: a claim starts with the serial gate off (no starvation)")
    void tc06_claim_starts_with_serial_gate_off() {
        long jid = f.job().agent("analyst").insert();

        Optional<ClaimedJob> claimed = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(1));

        assertThat(claimed).map(ClaimedJob::id).contains(jid);
        assertThat(row(jid).status()).isEqualTo("running");
        Map<JobStatus, Long> counts = f.control.statusCounts();
        assertThat(counts.get(JobStatus.QUEUED)).isZero();
        assertThat(counts.get(JobStatus.RUNNING)).isEqualTo(1);
    }

    @Test
    @DisplayName("TC-07: the reaper leaves a freshly claimed running job without a pid alone")
    void tc07_reaper_skips_pid_null_fresh_running() {
        try (NodeHarness h = NodeHarness.builder(tmp, f).build()) {
            h.configure(b -> b.setting("ORCH_LEASE_RECLAIM_ENABLED", "false"));
            Reaper reaper = h.start("n1").reaper();
            long jid = TestJobs.running(f.ds, "n1", h.now()).insert();

            reaper.runOnce();

            assertThat(row(jid).status()).isEqualTo("running");
        }
    }

    @Test
    @DisplayName("TC-08: impossible queued rows are detected and healed, idempotently")
    void tc08_sanitize_impossible_queued_idempotent() {
        f.withQueuedOwnershipCheckLifted(() -> {
            long jid = f.job().runId(759L).pid(35L).startedAt(Instant.parse("2026-06-17T10:00:00Z")).insert();

            assertThat(TestStatements.findImpossibleQueued(f.ds)).extracting(ImpossibleQueuedJob::id).contains(jid);

            List<ImpossibleQueuedJob> healed = f.finishes.sanitizeImpossibleQueued(f.clock.instant());
            assertThat(healed).hasSize(1);
            assertThat(healed.get(0).id()).isEqualTo(jid);
            assertThat(healed.get(0).runId()).isEqualTo(759L);
            assertThat(healed.get(0).pid()).isEqualTo(35L);
            JobRow r = row(jid);
            assertThat(r.status()).isEqualTo("queued");
            assertOwnsNoRun(r);

            assertThat(TestStatements.findImpossibleQueued(f.ds)).isEmpty();
            assertThat(f.finishes.sanitizeImpossibleQueued(f.clock.instant())).isEmpty();
        });
    }

    @Test
    @DisplayName("TC-08b: the reaper's sanitize pass counts, reports, and obeys its kill-switch")
    void tc08b_reaper_sanitize_counter_and_status() {
        f.withQueuedOwnershipCheckLifted(() -> {
            try (NodeHarness h = NodeHarness.builder(tmp, f).build(); NodeHarness off = NodeHarness.builder(tmp, f).build()) {
                OrchestratorNode node = h.start("n1");
                off.configure(b -> b.setting("ORCH_IMPOSSIBLE_QUEUED_SANITIZE_ENABLED", "false"));
                OrchestratorNode switchedOff = off.start("n2");
                long first = f.job().runId(10L).pid(11L).startedAt(Instant.parse("2026-06-17T10:00:00Z")).insert();

                assertThat(node.sanitizeImpossibleQueued()).isEqualTo(1);
                ReaperStatus st = node.reaperStatus();
                assertThat(st.impossibleQueuedTotal()).isEqualTo(1);
                assertThat(st.lastImpossibleQueued().count()).isEqualTo(1);
                assertThat(st.lastImpossibleQueued().jobIds()).containsExactly(first);

                long second = f.job().runId(12L).pid(13L).startedAt(Instant.parse("2026-06-17T10:00:00Z")).insert();
                assertThat(switchedOff.sanitizeImpossibleQueued()).isZero();
                assertThat(switchedOff.reaper().runOnce().sanitized()).isZero();
                assertThat(row(second).pid()).isEqualTo(13L);
                assertThat(switchedOff.reaperStatus().enabled()).containsEntry("sanitize", false);
            }
        });
    }

    @Test
    @DisplayName("TC-09: a launch failure before the pid stamp requeues cleanly and is re-claimable")
    void tc09_launch_failure_requeues_clean_and_reclaimable() {
        f.withQueuedOwnershipCheckLifted(() -> {
            long jid = f.job().runId(900L).pid(999999L).attempts(0).maxAttempts(2).insert();

            ClaimedJob claimed = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(1)).orElseThrow();
            assertThat(claimed.id()).isEqualTo(jid);
            assertThat(row(jid).pid()).isNull();
            RunStart run = f.claims.attachRun(claimed, f.node, f.clock.instant(), id -> Path.of("/tmp/runs", "" + id, "output.log"))
                    .orElseThrow();

            Optional<JobStatus> next = f.finishes.finishFailedAttempt(jid, run.runId(), null, true,
                    "launch error: ensure_worktree failed", f.clock.instant(), f.clock.instant());

            assertThat(next).contains(JobStatus.QUEUED);
            JobRow r = row(jid);
            assertThat(r.status()).isEqualTo("queued");
            assertOwnsNoRun(r);
            assertThat(RunRow.read(f.ds, run.runId()).outcome()).isEqualTo("launch_failed");

            f.clock.tick(Duration.ofSeconds(1));
            Optional<ClaimedJob> again = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(1));
            assertThat(again).map(ClaimedJob::id).contains(jid);
            assertThat(row(jid).status()).isEqualTo("running");
            assertThat(row(jid).pid()).isNull();
        });
    }

    @Test
    @DisplayName("TC-10: healthy terminal outcomes keep their link to the run and are never flagged")
    void tc10_healthy_job_terminal_outcomes_unchanged() {
        Instant started = Instant.parse("2026-06-17T10:00:00Z");
        long jid = TestJobs.running(f.ds, f.node.id(), started).runId(500L).pid(12345L).insert();
        assertThat(f.finishes.finishDone(jid, 500, 0, f.clock.instant()).owned()).isTrue();
        JobRow r = row(jid);
        assertThat(r.status()).isEqualTo("done");
        assertThat(r.runId()).isEqualTo(500L);
        assertThat(r.finishedAt()).isNotNull();
        assertThat(r.startedAt()).isEqualTo(started);

        long jid2 = TestJobs.running(f.ds, f.node.id(), started).runId(501L).pid(222L).insert();
        assertThat(TestStatements.reapToFailed(f.ds, jid2, 501L, "boom", f.clock.instant())).isTrue();
        JobRow r2 = row(jid2);
        assertThat(r2.status()).isEqualTo("failed");
        assertThat(r2.runId()).isEqualTo(501L);
        assertThat(r2.finishedAt()).isNotNull();
        assertThat(r2.error()).isEqualTo("boom");

        long healthy = f.job().insert();
        assertThat(TestStatements.findImpossibleQueued(f.ds)).extracting(ImpossibleQueuedJob::id).doesNotContain(healthy);
    }

}
