package dev.orchestrator.service;

import dev.orchestrator.testing.Actors;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.RunRow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.testing.MutableClock;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.Processes;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Cancel, retry, pause, the transient limits and pruning on a whole node with real processes. */
class JobControlTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2));

    private NodeHarness h;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
    }


    private static JobControl startedControl(NodeHarness harness, String nodeId) {
        harness.start(nodeId);
        return harness.control();
    }

    private JobRow job(long id) {
        return h.job(id);
    }

    @Test
    void cancelling_a_running_job_kills_its_whole_process_tree_and_ends_it_cancelled() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("tree").repo("t").insert();
        h.node().dispatcher().drain();
        Path childPid = h.repoDir("t").resolve("child.pid");
        await().atMost(WAIT).until(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank());
        long agentPid = job(id).pid();
        long grandchild = Long.parseLong(Files.readString(childPid).trim());

        JobControl.Answer a = h.control().cancel(id, Actors.OPERATOR);

        assertThat(a.result()).isIn(JobControl.Result.IN_PROGRESS, JobControl.Result.DONE);
        await().atMost(WAIT).until(() -> "cancelled".equals(job(id).status()));
        await().atMost(WAIT).until(() -> Processes.gone(agentPid) && Processes.gone(grandchild));
        JobRow r = job(id);
        assertThat(r.error()).isEqualTo("cancelled by operator");
        assertThat(r.finishedAt()).isNotNull();
        assertThat(RunRow.read(h.f.ds, r.runId()).outcome()).isEqualTo("cancelled");
        assertThat(h.control().cancel(id, Actors.OPERATOR)).isEqualTo(new JobControl.Answer(JobControl.Result.CONFLICT,
                JobStatus.CANCELLED));
    }

    @Test
    void a_cancel_request_made_on_another_node_is_carried_out_by_the_owning_nodes_reaper() throws Exception {
        h.start("n1");
        long id = h.f.job().agent("wait").repo("w").insert();
        h.node().dispatcher().drain();
        long pid = job(id).pid();
        h.f.control.requestCancel(id, Instant.now(), Actors.event("cancel", "job:" + id)); // what another node's API call does

        h.node().reaper().runOnce();

        await().atMost(WAIT).until(() -> "cancelled".equals(job(id).status()) && Processes.gone(pid));
    }

    @Test
    void cancel_requests_are_carried_out_even_with_the_reaper_switched_off() throws Exception {
        h.configure(b -> b.setting("ORCH_REAPER_ENABLED", "false"));
        h.start("n1");
        long id = h.f.job().agent("wait").repo("w").insert();
        h.node().dispatcher().drain();
        long pid = job(id).pid();
        h.f.control.requestCancel(id, Instant.now(), Actors.event("cancel", "job:" + id));

        h.node().reaper().runOnce();

        await().atMost(WAIT).until(() -> "cancelled".equals(job(id).status()) && Processes.gone(pid));
    }

    @Test
    void cancelling_a_queued_job_is_immediate_and_cancels_its_dependants() {
        h.start("n1");
        long id = h.f.job().insert();
        long dependant = h.f.job().insert();
        h.f.db.execute("INSERT INTO job_dependencies VALUES (" + dependant + ", " + id + ")");

        assertThat(h.control().cancel(id, Actors.OPERATOR)).isEqualTo(new JobControl.Answer(JobControl.Result.DONE,
                JobStatus.CANCELLED));
        assertThat(job(id).status()).isEqualTo("cancelled");
        assertThat(job(dependant).status()).isEqualTo("cancelled");
        assertThat(job(dependant).error()).isEqualTo("dependency " + id + " ended cancelled");
        assertThat(h.control().cancel(987654L, Actors.OPERATOR).result()).isEqualTo(JobControl.Result.NOT_FOUND);
    }

    @Test
    void retry_requeues_a_failed_job_cleanly_with_a_fresh_attempt_budget_and_refuses_other_states() {
        h.start("n1");
        long id = h.f.job().agent("fail").maxAttempts(1).insert();
        await().atMost(WAIT).until(() -> {
            h.node().dispatcher().drain();
            return "failed".equals(job(id).status());
        });

        assertThat(h.control().retry(id, Actors.OPERATOR).result()).isEqualTo(JobControl.Result.DONE);

        JobRow r = job(id);
        assertThat(r.status()).isEqualTo("queued");
        assertThat(r.attempts()).isEqualTo(0);
        assertThat(r.runId()).isNull();
        assertThat(r.pid()).isNull();
        assertThat(r.finishedAt()).isNull();
        assertThat(h.control().retry(id, Actors.OPERATOR)).isEqualTo(new JobControl.Answer(JobControl.Result.CONFLICT,
                JobStatus.QUEUED));
    }

    @Test
    void pausing_is_durable_and_resuming_lets_claims_go_on() {
        h.start("n1");
        h.control().pause(Optional.empty(), Actors.OPERATOR);
        h.control().pause(Optional.of(new RepoName("repo-b")), Actors.OPERATOR);
        long id = h.f.job().agent("ok").repo("repo-a").insert();

        assertThat(h.node().dispatcher().drain()).isZero();
        try (NodeHarness other = nodes.another()) {
            assertThat(startedControl(other, "n2").pauses()).as("durable, seen by every node")
                    .containsExactly("*", "repo:repo-b");
        }
        h.control().resume(Optional.empty(), Actors.OPERATOR);
        await().atMost(WAIT).until(() -> {
            h.node().dispatcher().drain();
            return "done".equals(job(id).status());
        });
        assertThat(h.control().pauses()).containsExactly("repo:repo-b");
    }

    @Test
    void transient_failures_stop_at_the_configured_limit_and_output_patterns_count_as_transient() {
        MutableClock clock = new MutableClock(Instant.now());
        h.configure(b -> b.clock(clock));
        h.configure(b -> b.setting("ORCH_MAX_TRANSIENT_ATTEMPTS", "2"));
        h.start("n1");
        long id = h.f.job().agent("limited").availableAt(clock.instant()).insert(); // exits 1, says "rate limit"

        for (int i = 1; i <= 2; i++) {
            int expected = i;
            h.node().dispatcher().drain();
            await().atMost(WAIT).until(() -> job(id).transientAttempts() == expected);
            assertThat(job(id).status()).isEqualTo("queued");
            assertThat(job(id).attempts()).as("transient failures do not count attempts").isEqualTo(0);
            clock.tick(Duration.ofHours(1));
        }
        h.node().dispatcher().drain();
        await().atMost(WAIT).until(() -> "failed".equals(job(id).status()));
        assertThat(job(id).error()).contains("exceeds ORCH_MAX_TRANSIENT_ATTEMPTS=2")
                .contains("rate limit exceeded");
    }

    @Test
    void retention_prunes_old_finished_jobs_with_their_runs_and_files_but_keeps_what_is_still_needed()
            throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        h.configure(b -> b.clock(clock));
        h.configure(b -> b.setting("ORCH_RETENTION_DAYS", "14"));
        h.start("n1");
        long old = h.f.job().agent("ok").availableAt(clock.instant()).insert();
        long needed = h.f.job().agent("ok").availableAt(clock.instant()).insert();
        await().atMost(WAIT).until(() -> {
            h.node().dispatcher().drain();
            return "done".equals(job(old).status()) && "done".equals(job(needed).status());
        });
        long waiting = h.f.job().status("queued").insert();
        h.f.db.execute("INSERT INTO job_dependencies VALUES (" + waiting + ", " + needed + ")");
        Path oldRunDir = h.dataDir.resolve("runs").resolve(Long.toString(old));
        assertThat(oldRunDir).isDirectory();

        clock.tick(Duration.ofDays(13));
        assertThat(h.node().retention().pruneOnce()).isZero();
        clock.tick(Duration.ofDays(2));
        assertThat(h.node().retention().pruneOnce()).isEqualTo(1);

        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM jobs WHERE id = " + old)).isZero();
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM agent_runs WHERE job_id = " + old)).isZero();
        assertThat(oldRunDir).doesNotExist();
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM jobs WHERE id = " + needed)).isEqualTo(1);
    }
}
