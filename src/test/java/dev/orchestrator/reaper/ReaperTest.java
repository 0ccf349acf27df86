package dev.orchestrator.reaper;

import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.RunRow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.process.HostInfo;
import dev.orchestrator.process.ProcessTable;
import dev.orchestrator.testing.MutableClock;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each reaper step with real processes, real PostgreSQL and an injected clock, driven by hand
 * ({@code runOnce()}): liveness, lease reclaim, timeout backstop, their kill-switches, and a pass
 * that meets a poisoned row.
 */
class ReaperTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2));

    private NodeHarness h;
    private MutableClock clock;
    private final java.util.List<Process> started = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() {
        h = nodes.harness();
        clock = new MutableClock(Instant.now());
        h.configure(b -> b.clock(clock));
    }

    @AfterEach
    void tearDown() {
        started.forEach(Process::destroyForcibly);
    }

    private JobRow job(long id) {
        return h.job(id);
    }

    private long runningJob(String node, String agent, long runId, long pid, Instant processStart, Path runDir,
                            Instant runStart, int attempts) {
        return h.runningJobWithRun(node, agent, runId, pid, processStart, runDir, runStart, attempts);
    }

    private long deadPid() throws Exception {
        Process p = new ProcessBuilder("/bin/true").start();
        p.waitFor();
        return p.pid();
    }

    private Process sleeper() throws Exception {
        Process p = new ProcessBuilder("setsid", "sleep", "300").start();
        started.add(p);
        await().atMost(WAIT).until(() -> p.toHandle().info().startInstant().isPresent());
        return p;
    }

    private static Instant startOf(Process p) {
        return p.toHandle().info().startInstant().orElseThrow().truncatedTo(ChronoUnit.MILLIS);
    }

    private Path runDirWithExit(String name, String exitStatus) throws Exception {
        Path dir = Files.createDirectories(h.dataDir.resolve("runs").resolve(name));
        Files.writeString(dir.resolve("output.log"), "some output\n");
        if (exitStatus != null) {
            Files.writeString(dir.resolve("exit_status"), exitStatus + "\n");
        }
        return dir;
    }

    // ------------------------------------------------------------------ liveness

    @Test
    void a_dead_run_with_an_exit_file_is_finished_with_its_real_outcome() throws Exception {
        h.start("n1");
        long done = runningJob("n1", "ok", 501, deadPid(), Instant.now(), runDirWithExit("a", "0"), clock.instant(), 0);
        long transientJob = runningJob("n1", "flaky", 502, deadPid(), Instant.now(), runDirWithExit("b", "75"),
                clock.instant(), 0);

        Reaper.Pass pass = h.node().reaper().runOnce();

        assertThat(pass.reaped()).isEqualTo(2);
        assertThat(job(done).status()).isEqualTo("done");
        assertThat(RunRow.read(h.f.ds, 501).exitCode()).isEqualTo(0);
        assertThat(RunRow.read(h.f.ds, 501).outcome()).isEqualTo("done");
        assertThat(job(transientJob).status()).isEqualTo("queued");
        assertThat(job(transientJob).transientAttempts()).isEqualTo(1);
        assertThat(job(transientJob).attempts()).isEqualTo(0);
        ReaperStatus st = h.node().reaperStatus();
        assertThat(st.finishedFromExitFileTotal()).isEqualTo(2);
        assertThat(st.reapedTotal()).containsEntry("dead_process", 2L);
    }

    @Test
    void a_dead_run_without_an_exit_file_is_a_failed_attempt_that_says_so() throws Exception {
        h.start("n1");
        long id = runningJob("n1", "ok", 503, deadPid(), Instant.now(), runDirWithExit("c", null), clock.instant(), 0);

        h.node().reaper().runOnce();

        JobRow r = job(id);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.pid()).isNull();
        assertThat(r.error()).contains("is gone").contains("exit status is unknown");
    }

    @Test
    void a_live_process_with_its_recorded_identity_is_left_alone() throws Exception {
        h.start("n1");
        Process p = sleeper();
        long id = runningJob("n1", "ok", 504, p.pid(), startOf(p), runDirWithExit("d", null), clock.instant(), 0);

        assertThat(h.node().reaper().runOnce().reaped()).isZero();

        assertThat(job(id).status()).isEqualTo("running");
        assertThat(p.isAlive()).isTrue();
    }

    @Test
    void a_claim_without_a_pid_is_requeued_only_after_the_spawn_grace_period_without_counting_an_attempt() {
        h.configure(b -> b.setting("ORCH_SPAWN_GRACE_SECONDS", "60"));
        h.start("n1");
        long id = TestJobs.running(h.f.ds, "n1", clock.instant()).insert();

        clock.tick(Duration.ofSeconds(59));
        h.node().reaper().runOnce();
        assertThat(job(id).status()).isEqualTo("running");

        clock.tick(Duration.ofSeconds(2));
        h.node().reaper().runOnce();
        assertThat(job(id).status()).isEqualTo("queued");
        assertThat(job(id).attempts()).isEqualTo(0);
        assertThat(job(id).startedAt()).isNull();
        assertThat(h.node().reaperStatus().reapedTotal()).containsEntry("spawn_grace_expired", 1L);
    }

    @Test
    void the_liveness_switch_and_the_master_switch_turn_the_steps_off() throws Exception {
        h.configure(b -> b.setting("ORCH_LIVENESS_CHECK_ENABLED", "false"));
        h.start("n1");
        long id = runningJob("n1", "ok", 505, deadPid(), Instant.now(), runDirWithExit("e", "0"), clock.instant(), 0);

        h.node().reaper().runOnce();
        assertThat(job(id).status()).isEqualTo("running");
        assertThat(h.node().reaperStatus().enabled()).containsEntry("liveness", false).containsEntry("reaper", true);

        try (NodeHarness off = nodes.another()) {
            off.configure(b -> b.setting("ORCH_REAPER_ENABLED", "false"));
            off.start("n1-off");
            assertThat(off.node().reaper().runOnce().reaped()).isZero();
            assertThat(off.node().reaperStatus().ticksTotal()).isZero();
            assertThat(off.node().reaperStatus().enabled()).containsEntry("reaper", false).containsEntry("liveness", false);
        }
    }

    @Test
    void a_poisoned_row_is_counted_and_the_pass_goes_on() throws Exception {
        h.start("n1");
        // attempts + 1 overflows an integer: the fenced statement of this row fails
        long poisoned = runningJob("n1", "ok", 506, deadPid(), Instant.now(), runDirWithExit("f", null),
                clock.instant(), Integer.MAX_VALUE);
        h.f.db.execute("UPDATE jobs SET max_attempts = 2147483647 WHERE id = " + poisoned);
        long healthy = runningJob("n1", "ok", 507, deadPid(), Instant.now(), runDirWithExit("g", "0"),
                clock.instant(), 0);

        Reaper.Pass pass = h.node().reaper().runOnce();

        assertThat(pass.errors()).isEqualTo(1);
        assertThat(job(healthy).status()).isEqualTo("done");
        assertThat(job(poisoned).status()).isEqualTo("running");
        assertThat(h.node().reaperStatus().errorsTotal()).isEqualTo(1);
        assertThat(h.node().reaperStatus().ticksTotal()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ lease reclaim

    private void node(String id, String host, String heartbeatAgo) {
        h.f.db.execute("INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, started_at, heartbeat_at) "
                + "VALUES ('" + id + "', '" + host + "', '" + HostInfo.bootId() + "', 999999, now(), now(), now() - "
                + "interval '" + heartbeatAgo + "')");
    }

    @Test
    void the_jobs_of_a_node_whose_lease_expired_are_taken_back_once() throws Exception {
        h.configure(b -> b.setting("ORCH_NODE_LEASE_SECONDS", "120"));
        h.start("n1");
        node("far-away", "other-host", "10 minutes");
        node("healthy", "other-host", "5 seconds");
        long lost = runningJob("far-away", "ok", 601, 4242, Instant.now(), h.dataDir.resolve("nowhere"), clock.instant(), 0);
        long kept = runningJob("healthy", "ok", 602, 4243, Instant.now(), h.dataDir.resolve("nowhere"), clock.instant(), 0);

        h.node().reaper().runOnce();
        h.node().reaper().runOnce();

        JobRow r = job(lost);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.claimedBy()).isNull();
        assertThat(r.error()).contains("lease of node far-away expired");
        assertThat(job(kept).status()).isEqualTo("running");
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM nodes WHERE id = 'far-away' AND stopped_at IS NOT NULL"))
                .isEqualTo(1);
        assertThat(h.node().reaperStatus().reapedTotal()).containsEntry("lease_expired", 1L);
    }

    private void stoppedNode(String id, String host) {
        node(id, host, "1 second"); // a fresh heartbeat: not a lease matter
        h.f.db.execute("UPDATE nodes SET stopped_at = now() WHERE id = '" + id + "'");
    }

    @Test
    void a_job_left_running_by_a_node_that_is_already_stopped_is_taken_back() throws Exception {
        // e.g. the reclaimer fenced the node but recovering this row failed, or an orderly stop
        // could not hand the run back: nothing else would ever finish it
        h.start("n1");
        stoppedNode("gone", "other-host");
        long id = runningJob("gone", "ok", 611, 4244, Instant.now(), h.dataDir.resolve("nowhere"), clock.instant(), 0);

        h.node().reaper().runOnce();

        JobRow r = job(id);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.claimedBy()).isNull();
        assertThat(r.error()).contains("had stopped without finishing it");
        assertThat(h.node().reaperStatus().reapedTotal()).containsEntry("lease_expired", 1L);
    }

    @Test
    void a_starting_node_takes_back_the_jobs_of_stopped_nodes_before_it_claims() throws Exception {
        stoppedNode("gone", "other-host");
        long id = runningJob("gone", "ok", 612, 4245, Instant.now(), h.dataDir.resolve("nowhere"), clock.instant(), 0);

        h.start("n1");

        assertThat(job(id).status()).isEqualTo("queued");
        assertThat(job(id).error()).contains("recovered at start-up");
    }

    @Test
    void an_expired_node_on_this_host_has_its_live_orphans_killed_before_its_jobs_are_taken_back() throws Exception {
        h.start("n1");
        node("stuck", "test-host", "10 minutes");
        Process orphan = sleeper();
        long id = runningJob("stuck", "ok", 603, orphan.pid(), startOf(orphan), h.dataDir.resolve("x"), clock.instant(), 0);

        h.node().reaper().runOnce();

        assertThat(orphan.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(job(id).status()).isEqualTo("queued");
        assertThat(h.node().reaperStatus().orphansKilledTotal()).isEqualTo(1);
    }

    @Test
    void recorded_start_ticks_decide_identity_whatever_the_recorded_instant_says() throws Exception {
        // a wall-clock step between JVMs moves the JDK's start instant of the same process; the
        // kernel's start ticks do not, so they decide when recorded
        h.start("n1");
        node("stuck", "test-host", "10 minutes");
        Process orphan = sleeper();
        long orphanTicks = new ProcessTable(HostInfo.bootId()).startTicks(orphan.pid()).orElseThrow();
        long stepped = runningJob("stuck", "ok", 607, orphan.pid(), startOf(orphan).minusSeconds(3600),
                h.dataDir.resolve("x"), clock.instant(), 0);
        h.f.db.execute("UPDATE agent_runs SET process_start_ticks = " + orphanTicks + " WHERE id = 607");
        Process unrelated = sleeper();
        long unrelatedTicks = new ProcessTable(HostInfo.bootId()).startTicks(unrelated.pid()).orElseThrow();
        long reused = runningJob("n1", "ok", 608, unrelated.pid(), startOf(unrelated), h.dataDir.resolve("y"),
                clock.instant(), 0);
        h.f.db.execute("UPDATE agent_runs SET process_start_ticks = " + (unrelatedTicks - 1) + " WHERE id = 608");

        h.node().reaper().runOnce();

        assertThat(orphan.waitFor(20, TimeUnit.SECONDS)).as("same ticks: the orphan, killed first").isTrue();
        assertThat(job(stepped).status()).isEqualTo("queued");
        assertThat(unrelated.isAlive()).as("other ticks: not ours, never touched").isTrue();
        assertThat(job(reused).error()).contains("pid reused");
    }

    @Test
    void an_orphan_that_survives_kill_keeps_its_job_running_until_it_is_gone() throws Exception {
        h.configure(b -> b.killCommand("/bin/true")); // signals nothing: the group "survives KILL", as in uninterruptible sleep
        h.configure(b -> b.setting("ORCH_KILL_GRACE_SECONDS", "1"));
        h.start("n1");
        node("stuck", "test-host", "10 minutes");
        Process orphan = sleeper();
        long id = runningJob("stuck", "ok", 605, orphan.pid(), startOf(orphan), h.dataDir.resolve("x"), clock.instant(), 0);

        Reaper.Pass pass = h.node().reaper().runOnce();

        assertThat(orphan.isAlive()).isTrue();
        assertThat(job(id).status()).as("never handed on while its process lives").isEqualTo("running");
        assertThat(pass.errors()).isEqualTo(1);

        orphan.destroyForcibly().waitFor(); // the process finally goes
        h.node().reaper().runOnce();

        assertThat(job(id).status()).isEqualTo("queued");
    }

    @Test
    void the_lease_reclaim_switch_leaves_expired_nodes_alone() throws Exception {
        h.configure(b -> b.setting("ORCH_LEASE_RECLAIM_ENABLED", "false"));
        h.start("n1");
        node("far-away", "other-host", "10 minutes");
        long id = runningJob("far-away", "ok", 604, 4242, Instant.now(), h.dataDir.resolve("x"), clock.instant(), 0);

        h.node().reaper().runOnce();

        assertThat(job(id).status()).isEqualTo("running");
    }

    // ------------------------------------------------------------------ timeout backstop

    @Test
    void a_watched_run_past_its_timeout_has_its_group_killed_and_is_a_timed_out_attempt() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("slow").repo("slow").availableAt(clock.instant()).insert(); // timeout 5 s
        assertThat(h.node().dispatcher().drain()).isEqualTo(1);
        long pid = job(id).pid();

        clock.tick(Duration.ofSeconds(4));
        h.node().reaper().runOnce();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

        clock.tick(Duration.ofSeconds(2));
        h.node().reaper().runOnce();

        await().atMost(WAIT).until(() -> "queued".equals(job(id).status()));
        JobRow r = job(id);
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.error()).startsWith("timed out").contains("timeout_seconds=5");
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(h.node().reaperStatus().reapedTotal()).containsEntry("timeout", 1L);
    }

    @Test
    void an_unwatched_run_past_its_timeout_is_killed_before_its_job_is_requeued() throws Exception {
        h.start("n1");
        Process p = sleeper();
        long id = runningJob("n1", "slow", 605, p.pid(), startOf(p), h.dataDir.resolve("y"),
                clock.instant().minusSeconds(60), 0);

        h.node().reaper().runOnce();

        assertThat(p.isAlive()).isFalse();
        assertThat(job(id).status()).isEqualTo("queued");
        assertThat(job(id).error()).startsWith("timed out");
    }

    @Test
    void the_backstop_switch_lets_a_long_run_go_on() throws Exception {
        h.configure(b -> b.setting("ORCH_TIMEOUT_BACKSTOP_ENABLED", "false"));
        h.start("n1");
        Process p = sleeper();
        long id = runningJob("n1", "slow", 606, p.pid(), startOf(p), h.dataDir.resolve("z"),
                clock.instant().minusSeconds(60), 0);

        h.node().reaper().runOnce();

        assertThat(p.isAlive()).isTrue();
        assertThat(job(id).status()).isEqualTo("running");
    }
}
