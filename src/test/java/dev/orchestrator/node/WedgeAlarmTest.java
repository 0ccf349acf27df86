package dev.orchestrator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.domain.job.ClaimableJob;
import dev.orchestrator.testing.MutableClock;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The wedge alarm on a whole node (real database, real processes, injected clock), driven by real
 * stuck states: a dead run keeping the only slot while the reaper has not run, a free slot nobody
 * claims, and a slot held by a node whose lease expired.
 */
class WedgeAlarmTest {
    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2)
            .setting("ORCH_MAX_CONCURRENCY", "1").setting("ORCH_WEDGE_ALARM_SECONDS", "60"));

    private NodeHarness h;
    private MutableClock clock;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
        clock = new MutableClock(Instant.now());
        h.configure(b -> b.clock(clock));
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("/bin/true").start();
        p.waitFor();
        return p.pid();
    }

    private Path runDirWithExit(String name, String exitStatus) throws Exception {
        Path dir = Files.createDirectories(h.dataDir.resolve("runs").resolve(name));
        Files.writeString(dir.resolve("output.log"), "some output\n");
        Files.writeString(dir.resolve("exit_status"), exitStatus + "\n");
        return dir;
    }

    @Test
    void a_dead_run_holding_the_only_slot_wedges_the_queue_until_the_reaper_frees_it() throws Exception {
        OrchestratorNode node = h.start("n1");
        long waiting = TestJobs.job(h.f.ds).agent("ok").repo("elsewhere").availableAt(clock.instant()).insert();
        long dead = h.runningJobWithRun("n1", "ok", 701, deadPid(), Instant.now(), runDirWithExit("d", "0"),
                clock.instant(), 0);

        WedgeAlarm.State fresh = node.wedgeState();
        assertThat(fresh.wedged()).as(fresh.reason()).isFalse();
        assertThat(fresh.overdue()).isEmpty();
        assertThat(fresh.oldestClaimableAge()).isEqualTo(Duration.ZERO);

        clock.tick(Duration.ofSeconds(61));
        WedgeAlarm.State stuck = node.wedgeState();
        assertThat(stuck.wedged()).as(stuck.reason()).isTrue();
        assertThat(stuck.reason()).contains("every slot is held by a run that is not alive");
        assertThat(stuck.overdue()).extracting(ClaimableJob::id).containsExactly(waiting);
        assertThat(stuck.oldestClaimableAge()).isEqualTo(Duration.ofSeconds(61));
        assertThat(stuck.slots()).singleElement().satisfies(s -> {
            assertThat(s.jobId()).isEqualTo(dead);
            assertThat(s.runId()).isEqualTo(701L);
            assertThat(s.alive()).isFalse();
            assertThat(s.judgedBy()).contains("is gone");
        });

        node.reaper().runOnce(); // the liveness check finishes the dead run from its exit file
        assertThat(h.job(dead).status()).isEqualTo("done");
        assertThat(node.dispatcher().drain()).as("the freed slot is claimed").isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> h.job(waiting).status().equals("done"));

        WedgeAlarm.State healed = node.wedgeState();
        assertThat(healed.wedged()).as(healed.reason()).isFalse();
        assertThat(healed.overdue()).isEmpty();
    }

    @Test
    void a_free_slot_that_nobody_claims_is_a_wedge_and_a_live_run_holding_the_slot_is_not() throws Exception {
        OrchestratorNode node = h.start("n1");
        long waiting = TestJobs.job(h.f.ds).agent("ok").repo("elsewhere").availableAt(clock.instant().minusSeconds(120)).insert();

        WedgeAlarm.State free = node.wedgeState();
        assertThat(free.wedged()).as(free.reason()).isTrue();
        assertThat(free.reason()).contains("1 of 1 slot(s) are free");
        assertThat(free.overdue()).extracting(ClaimableJob::id).containsExactly(waiting);

        Process sleeper = new ProcessBuilder("setsid", "sleep", "300").start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> sleeper.toHandle().info().startInstant().isPresent());
            Instant start = sleeper.toHandle().info().startInstant().orElseThrow()
                    .truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
            h.runningJobWithRun("n1", "ok", 702, sleeper.pid(), start, h.dataDir.resolve("runs/live"),
                    clock.instant(), 0);
            WedgeAlarm.State busy = node.wedgeState();
            assertThat(busy.wedged()).as(busy.reason()).isFalse();
            assertThat(busy.overdue()).extracting(ClaimableJob::id).containsExactly(waiting);
            assertThat(busy.slots()).singleElement().satisfies(s -> assertThat(s.alive()).isTrue());
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void another_nodes_run_counts_as_alive_only_while_that_node_holds_a_valid_lease() throws Exception {
        OrchestratorNode node = h.start("n1");
        TestJobs.job(h.f.ds).agent("ok").repo("elsewhere").availableAt(clock.instant().minusSeconds(120)).insert();
        h.f.db.execute("INSERT INTO nodes (id, host, boot_id, jvm_pid, started_at, heartbeat_at) "
                + "VALUES ('n2', 'other-host', 'other-boot', 4242, now(), now())");
        long theirs = h.runningJobWithRun("n2", "ok", 703, 4242, null, h.dataDir.resolve("runs/theirs"),
                clock.instant(), 0);

        assertThat(node.wedgeState().wedged()).as("n2's lease is valid").isFalse();

        h.f.db.execute("UPDATE nodes SET heartbeat_at = now() - interval '1 hour' WHERE id = 'n2'");
        WedgeAlarm.State expired = node.wedgeState();
        assertThat(expired.wedged()).as(expired.reason()).isTrue();
        assertThat(expired.slots()).singleElement().satisfies(s -> {
            assertThat(s.jobId()).isEqualTo(theirs);
            assertThat(s.alive()).isFalse();
            assertThat(s.judgedBy()).isEqualTo("node n2 has no valid lease");
        });
    }
}
