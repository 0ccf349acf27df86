package dev.orchestrator.node;

import dev.orchestrator.testing.Actors;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.RunRow;

import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;

import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.store.ClaimStore;
import dev.orchestrator.store.QueueStores;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.testing.MutableClock;
import dev.orchestrator.testing.Processes;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The dispatcher, launcher and completion together, with real processes on real PostgreSQL. */
class OrchestratorNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> { });

    private NodeHarness h;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
    }


    private JobRow job(long id) {
        return h.job(id);
    }

    private void awaitStatus(long id, String status) {
        await().atMost(WAIT).until(() -> status.equals(job(id).status()));
    }

    private void drainUntil(long id, String status) {
        await().atMost(WAIT).until(() -> {
            h.node().dispatcher().drain();
            return status.equals(job(id).status());
        });
    }

    @Test
    void exit_zero_finishes_the_job_done_with_its_run_log_and_payload() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("payload").repo("my-repo").payload("{\"task\":\"refactor\"}").insert();

        drainUntil(id, "done");

        JobRow r = job(id);
        long runId = r.runId();
        RunRow run = RunRow.read(h.f.ds, runId);
        assertThat(run.exitCode()).isEqualTo(0);
        assertThat(run.outcome()).isEqualTo("done");
        assertThat(run.attempt()).isEqualTo(1);
        assertThat(run.nodeId()).isEqualTo("n1");
        assertThat(run.pid()).isEqualTo(r.pid());
        assertThat(run.bootId()).isEqualTo(h.node().context().identity().bootId());
        String log = Files.readString(Path.of(run.logPath()));
        assertThat(log).contains("payload={\"task\":\"refactor\"}")
                .contains("ORCH_JOB_ID=" + id)
                .contains("ORCH_RUN_ID=" + runId)
                .contains("ORCH_ATTEMPT=1")
                .contains("ORCH_REPO=my-repo")
                .contains("AGENT_GREETING=hello")
                .doesNotContain("ORCH_DB_PASSWORD");
        assertThat(h.repoDir("my-repo")).isDirectory();
        assertThat(h.node().context().events().count(QueueEvent.SUCCEEDED)).isEqualTo(1);
    }

    @Test
    void a_failing_agent_is_retried_until_max_attempts_then_fails_with_its_error() {
        h.start("n1");
        long id = h.f.job().agent("fail").maxAttempts(2).insert();

        drainUntil(id, "failed");

        JobRow r = job(id);
        assertThat(r.attempts()).isEqualTo(2);
        assertThat(r.error()).startsWith("exit code 1").contains("stderr line, exiting 1");
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE outcome = 'retried'")).isEqualTo(1);
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE outcome = 'failed'")).isEqualTo(1);
        assertThat(r.finishedAt()).isNotNull();
    }

    @Test
    void a_transient_exit_code_requeues_with_back_off_without_counting_an_attempt() {
        MutableClock clock = new MutableClock(Instant.now());
        h.configure(b -> b.clock(clock));
        h.configure(b -> b.setting("ORCH_TRANSIENT_BACKOFF_BASE_SECONDS", "30"));
        h.start("n1");
        long id = h.f.job().agent("flaky").availableAt(clock.instant()).insert();

        h.node().dispatcher().drain();
        await().atMost(WAIT).until(() -> job(id).transientAttempts() == 1);

        JobRow r = job(id);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(0);
        assertThat(r.runId()).isNull();
        assertThat(r.pid()).isNull();
        assertThat(r.availableAt()).isEqualTo(clock.instant().plusSeconds(30));
        assertThat(r.error()).contains("transient exit code 75");
        assertThat(h.node().dispatcher().drain()).as("not claimable during back-off").isZero();

        clock.tick(Duration.ofSeconds(30));
        assertThat(h.node().dispatcher().drain()).isEqualTo(1);
        await().atMost(WAIT).until(() -> job(id).transientAttempts() == 2);
        assertThat(job(id).availableAt()).as("second back-off doubles").isEqualTo(
                clock.instant().plusSeconds(60));
    }

    @Test
    void a_launch_failure_requeues_cleanly_and_finally_fails_with_the_reason() {
        h.start("n1");
        long id = h.f.job().agent("missing").maxAttempts(2).insert();

        h.node().dispatcher().drain();
        await().atMost(WAIT).until(() -> job(id).attempts() >= 1);
        JobRow first = job(id);
        if ("queued".equals(first.status())) {
            assertThat(first.runId()).isNull();
            assertThat(first.pid()).isNull();
            assertThat(first.startedAt()).isNull();
        }
        drainUntil(id, "failed");
        assertThat(job(id).error()).contains("launch failed").contains("/no/such/executable");
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE outcome = 'launch_failed'"))
                .isEqualTo(2);
    }

    @Test
    void an_agent_that_is_no_longer_configured_fails_the_attempt_with_a_clear_error() {
        h.start("n1");
        long id = h.f.job().agent("removed-agent").maxAttempts(1).insert();
        drainUntil(id, "failed");
        assertThat(job(id).error()).contains("agent 'removed-agent' is not configured");
    }

    @Test
    void never_runs_more_jobs_than_max_concurrency_and_starts_the_next_when_a_slot_frees() throws Exception {
        h.configure(b -> b.setting("ORCH_MAX_CONCURRENCY", "2"));
        h.start("n1");
        long a = h.f.job().agent("wait").repo("a").insert();
        long b = h.f.job().agent("wait").repo("b").insert();
        long c = h.f.job().agent("wait").repo("c").insert();

        assertThat(h.node().dispatcher().drain()).isEqualTo(2);
        assertThat(h.node().dispatcher().drain()).isZero();
        assertThat(job(c).status()).isEqualTo("queued");
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM jobs WHERE status = 'running'")).isEqualTo(2);

        h.node().startDispatching(Executors.defaultThreadFactory());
        Files.createDirectories(h.release().getParent());
        Files.createFile(h.release());
        awaitStatus(a, "done");
        awaitStatus(b, "done");
        awaitStatus(c, "done");
    }

    @Test
    void one_pass_claims_every_free_slot_in_one_transaction_and_a_launch_failure_fails_only_its_own_job()
            throws Exception {
        h.configure(b -> b.setting("ORCH_MAX_CONCURRENCY", "3"));
        h.start("n1");
        long a = h.f.job().agent("wait").repo("a").insert();
        long broken = h.f.job().agent("removed-agent").repo("x").maxAttempts(1).insert();
        long b = h.f.job().agent("wait").repo("b").insert();
        long c = h.f.job().agent("wait").repo("c").insert();

        // three slots: one claim transaction takes three jobs; the failed launch frees its slot, which
        // the same pass fills with a fourth
        assertThat(h.node().dispatcher().drain()).isEqualTo(4);

        assertThat(TestJobs.count(h.f.ds, "SELECT count(DISTINCT started_at) FROM jobs WHERE id IN (" + a + ", "
                + broken + ", " + b + ")")).as("one claim time: one transaction").isEqualTo(1);
        assertThat(job(broken).status()).isEqualTo("failed");
        assertThat(job(broken).error()).contains("agent 'removed-agent' is not configured");
        for (long id : List.of(a, b, c)) {
            assertThat(job(id).status()).isEqualTo("running");
            assertThat(job(id).pid()).isNotNull();
            assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE job_id = " + id + " AND pid = "
                    + job(id).pid())).isEqualTo(1);
        }
        assertThat(job(c).status()).isEqualTo("running");
        assertThat(job(c).startedAt()).isAfter(job(a).startedAt());

        assertThat(h.node().dispatcher().drain()).as("every slot holds a run of this node").isZero();
        Files.createDirectories(h.release().getParent());
        Files.createFile(h.release());
        awaitStatus(a, "done");
        awaitStatus(b, "done");
        awaitStatus(c, "done");
    }

    @Test
    void an_enqueue_wakes_the_idle_dispatcher_at_once_not_at_its_poll_interval() {
        h.configure(b -> b.setting("ORCH_DISPATCH_POLL_MILLIS", "60000"));
        h.start("n1");
        h.node().startDispatching(Executors.defaultThreadFactory());
        h.node().wake();
        await().atMost(WAIT).until(() -> h.node().dispatcher().isRunning());

        long id = h.f.job().agent("ok").insert();
        h.node().wake();

        // the poll interval is a minute; only the wake-up can finish this within the bound
        await().atMost(Duration.ofSeconds(20)).until(() -> "done".equals(job(id).status()));
    }

    @Test
    void a_run_that_ended_on_its_own_before_the_stop_keeps_its_outcome() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("wait").repo("w").insert();
        h.node().dispatcher().drain();
        await().atMost(WAIT).until(() -> job(id).pid() != null);
        long pid = job(id).pid();

        h.nodeExecutor.hold(); // its exit handler will wait until after the stop
        Files.writeString(h.repoDir("release"), "go"); // the agent waits for ../release from its repo dir
        await().atMost(WAIT).until(() -> Processes.gone(pid) && h.nodeExecutor.heldCount() > 0);

        h.stopNode();
        h.nodeExecutor.release();

        await().atMost(WAIT).until(() -> "done".equals(job(id).status()));
        assertThat(job(id).attempts()).isEqualTo(0);
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE job_id = " + id
                + " AND outcome = 'done'")).isEqualTo(1);
    }

    @Test
    void the_stop_also_kills_a_run_whose_cancel_is_still_pending_and_it_ends_cancelled() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("wait").repo("w").insert();
        h.node().dispatcher().drain();
        await().atMost(WAIT).until(() -> job(id).pid() != null);
        long pid = job(id).pid();

        h.nodeExecutor.hold(); // the cancel's kill task waits: the stop must not rely on it
        h.control().cancel(id, Actors.OPERATOR);
        h.stopNode();

        assertThat(Processes.gone(pid)).as("killed by the stop itself").isTrue();
        h.nodeExecutor.release();
        await().atMost(WAIT).until(() -> "cancelled".equals(job(id).status()));
    }

    @Test
    void stopping_the_node_kills_running_process_groups_and_requeues_without_counting_an_attempt()
            throws Exception {
        h.start("n1");
        long id = h.f.job().agent("tree").repo("t").insert();
        h.node().dispatcher().drain();
        Path childPid = h.repoDir("t").resolve("child.pid");
        await().atMost(WAIT).until(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank());
        long agentPid = job(id).pid();
        long grandchild = Long.parseLong(Files.readString(childPid).trim());

        h.stopNode();

        JobRow r = job(id);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(0);
        assertThat(r.runId()).isNull();
        assertThat(r.pid()).isNull();
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE outcome = 'abandoned'"))
                .isEqualTo(1);
        await().atMost(WAIT).until(() -> Processes.gone(agentPid) && Processes.gone(grandchild));
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM nodes WHERE id = 'n1' AND stopped_at IS NOT NULL"))
                .isEqualTo(1);
    }

    @Test
    void restart_recovery_kills_a_dead_nodes_orphan_and_requeues_its_job_but_spares_a_live_node() throws Exception {
        // an earlier incarnation on this host: its JVM is gone (a pid that exited), its agent is not
        Process deadJvm = new ProcessBuilder("/bin/true").start();
        Instant deadJvmStart = deadJvm.toHandle().info().startInstant().orElse(Instant.now());
        deadJvm.waitFor();
        h.f.db.execute("INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, started_at, heartbeat_at) "
                + "VALUES ('old', 'test-host', '" + h.identity("x").bootId() + "', " + deadJvm.pid() + ", '"
                + deadJvmStart + "', now(), now())");
        Process orphan = new ProcessBuilder("setsid", "sleep", "300").start();
        await().atMost(WAIT).until(() -> orphan.toHandle().info().startInstant().isPresent());
        Instant orphanStart = orphan.toHandle().info().startInstant().get();
        long orphanJob = TestJobs.running(h.f.ds, "old", Instant.now()).runId(1L).pid(orphan.pid()).insert();
        h.f.db.execute("INSERT INTO agent_runs (job_id, attempt, node_id, host, boot_id, pid, process_started_at, "
                + "started_at, log_path) OVERRIDING SYSTEM VALUE VALUES (" + orphanJob + ", 1, 'old', 'test-host', '"
                + h.identity("x").bootId() + "', " + orphan.pid() + ", '" + orphanStart + "', now(), '/tmp/x')");
        h.f.db.execute("UPDATE jobs SET run_id = (SELECT max(id) FROM agent_runs) WHERE id = " + orphanJob);
        // a live node on the same host (this very JVM) with a running job: must be left alone
        ProcessHandle self = ProcessHandle.current();
        h.f.db.execute("INSERT INTO nodes (id, host, boot_id, jvm_pid, jvm_started_at, started_at, heartbeat_at) "
                + "VALUES ('live', 'test-host', '" + h.identity("x").bootId() + "', " + self.pid() + ", '"
                + self.info().startInstant().get().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                + "', now(), now())");
        long liveJob = TestJobs.running(h.f.ds, "live", Instant.now()).insert();

        h.start("n2");

        assertThat(orphan.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).as("orphan killed").isTrue();
        JobRow r = job(orphanJob);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(r.pid()).isNull();
        assertThat(job(liveJob).status()).isEqualTo("running");
        assertThat(h.node().reaperStatus().recoveredAtStartup()).isEqualTo(1);
    }

    @Test
    void the_reaper_frees_a_slot_held_by_a_reused_pid_so_the_queue_keeps_moving() throws Exception {
        // the incident: max_concurrency=1, a running job whose recorded pid now belongs to another process
        h.configure(b -> b.setting("ORCH_MAX_CONCURRENCY", "1"));
        h.start("n1");
        Process unrelated = new ProcessBuilder("sleep", "300").start();
        try {
            long wedged = h.runningJobWithRun("n1", "ok", 759, unrelated.pid(), Instant.parse("2020-01-01T00:00:00Z"),
                    h.dataDir.resolve("wedged"), Instant.now(), 0);
            long waiting = h.f.job().agent("ok").insert();
            assertThat(h.node().dispatcher().drain()).as("the slot is held").isZero();

            Reaper.Pass pass = h.node().reaper().runOnce();

            assertThat(pass.reaped()).isEqualTo(1);
            assertThat(h.node().reaperStatus().reapedTotal()).containsEntry("pid_reused", 1L);
            assertThat(unrelated.isAlive()).as("the unrelated process is not touched").isTrue();
            assertThat(job(wedged).status()).isEqualTo("queued");
            assertThat(job(wedged).error()).contains("pid reused");
            drainUntil(waiting, "done");
        } finally {
            unrelated.destroyForcibly();
        }
    }

    @Test
    void a_process_whose_pid_cannot_be_recorded_is_killed_and_its_job_retried() throws Exception {
        AtomicBoolean failNextStamp = new AtomicBoolean(true);
        ClaimStore claims = new ClaimStore(h.f.ds) {
            @Override
            public Ownership stampProcess(long jobId, long runId, long pid, Instant processStartedAt, Long ticks,
                                          Instant now) {
                if (failNextStamp.getAndSet(false)) {
                    throw new IllegalStateException("test: database unreachable");
                }
                return super.stampProcess(jobId, runId, pid, processStartedAt, ticks, now);
            }
        };
        h.configure(b -> b.stores(new QueueStores(claims, h.f.finishes, h.f.control, h.f.nodes, h.f.audit, h.f.events)));
        h.start("n1");
        long id = h.f.job().agent("wait").repo("w").insert(); // would wait for a file that never comes
        assertThat(h.node().dispatcher().drain()).isEqualTo(1);

        await().atMost(WAIT).until(() -> "queued".equals(job(id).status()));
        assertThat(job(id).error()).contains("could not be recorded");
        assertThat(job(id).attempts()).isEqualTo(1);
        await().atMost(WAIT).until(() -> h.node().termination().watchedCount() == 0); // removed just after the commit
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE job_id = " + id
                + " AND finished_at IS NULL")).isZero();
    }

    @Test
    void claims_and_run_ends_reach_the_event_listeners_with_their_agent_and_durations() throws Exception {
        MutableClock clock = new MutableClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        h.configure(b -> b.clock(clock));
        h.start("n1");
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        h.node().context().events().listen(new QueueEvents.Listener() {
            @Override
            public void claimed(String agent, Duration waited) {
                seen.add("claimed " + agent + " " + waited);
            }

            @Override
            public void finished(String agent, QueueEvent outcome, Duration ran) {
                seen.add("finished " + agent + " " + outcome.key() + " " + ran);
            }
        });
        long id = h.f.job().agent("wait").availableAt(clock.instant()).insert();
        clock.tick(Duration.ofSeconds(7));
        assertThat(h.node().dispatcher().drain()).isEqualTo(1);
        await().atMost(WAIT).until(() -> job(id).pid() != null);
        clock.tick(Duration.ofSeconds(3));
        Files.createDirectories(h.release().getParent());
        Files.createFile(h.release());
        awaitStatus(id, "done");

        long failed = h.f.job().agent("fail").maxAttempts(1).availableAt(clock.instant()).insert();
        drainUntil(failed, "failed");
        long flaky = h.f.job().agent("flaky").availableAt(clock.instant()).insert();
        drainUntil(flaky, "queued");
        await().atMost(WAIT).until(() -> job(flaky).transientAttempts() == 1);

        assertThat(seen).containsExactly("claimed wait PT7S", "finished wait succeeded PT3S",
                "claimed fail PT0S", "finished fail failed PT0S",
                "claimed flaky PT0S", "finished flaky transient_requeued PT0S");
        assertThat(h.node().context().events().count(QueueEvent.CLAIMED)).isEqualTo(3);
        assertThat(h.node().context().events().count(QueueEvent.TRANSIENT_REQUEUED)).isEqualTo(1);
    }
}
