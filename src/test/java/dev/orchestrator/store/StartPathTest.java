package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.store.ClaimStore.ClaimedRun;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.RunRow;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The start path's folded statements on real PostgreSQL: several claims with their runs in one
 * transaction, the pid stamped on job and run in one statement, a finish and the closing of its
 * run in one statement, each still fenced and answering with its row count.
 */
class StartPathTest {
    private static final ClaimStore.LogFiles LOGS = (job, run) -> Path.of("/tmp/orch-test-runs", "" + job, "" + run,
            "output.log");

    private QueueFixture f;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
    }

    private List<ClaimedRun> claimAndAttach(ClaimPolicy policy, int max) {
        return f.claims.claimAndAttach(f.node, f.clock.instant(), policy, max, LOGS);
    }

    @Test
    void one_transaction_claims_up_to_max_jobs_in_claim_order_and_attaches_a_run_to_each() {
        long low = f.job().insert();
        long urgent = f.job().priority(5).insert();
        long old = f.job().insert();
        long later = f.job().insert();
        f.job().insert();

        List<ClaimedRun> batch = claimAndAttach(TestStatements.capacityOnly(10), 3);

        assertThat(batch).extracting(c -> c.job().id()).containsExactly(urgent, low, old);
        for (ClaimedRun c : batch) {
            JobRow job = JobRow.read(f.ds, c.job().id());
            assertThat(job.status()).isEqualTo("running");
            assertThat(job.runId()).isEqualTo(c.run().runId());
            assertThat(job.pid()).isNull();
            assertThat(job.claimedBy()).isEqualTo(f.node.id());
            RunRow run = RunRow.read(f.ds, c.run().runId());
            assertThat(run.attempt()).isEqualTo(1);
            assertThat(run.nodeId()).isEqualTo(f.node.id());
            assertThat(run.host()).isEqualTo(f.node.host());
            assertThat(run.bootId()).isEqualTo(f.node.bootId());
            assertThat(run.logPath()).isEqualTo(LOGS.of(c.job().id(), c.run().runId()).toString());
            assertThat(c.run().runDir()).isEqualTo(LOGS.of(c.job().id(), c.run().runId()).getParent());
            assertThat(c.run().attempt()).isEqualTo(1);
        }
        assertThat(JobRow.read(f.ds, later).status()).isEqualTo("queued");
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM agent_runs")).isEqualTo(3);
    }

    @Test
    void a_batch_stops_at_capacity_and_skips_gated_jobs_as_single_claims_would() {
        // agent a limited to 2, serial gate on, 4 slots
        ClaimPolicy policy = new ClaimPolicy(4, true, true, Map.of("a", 2));
        long a1 = f.job().agent("a").repo("r1").insert();
        f.job().agent("a").repo("r1").insert(); // same repo as a1: serial gate
        long a3 = f.job().agent("a").repo("r2").insert();
        f.job().agent("a").repo("r3").insert(); // agent a at its limit by then
        long b1 = f.job().agent("b").repo("r4").insert();
        long b2 = f.job().agent("b").repo("r5").insert();
        f.job().agent("b").repo("r6").insert(); // no slot left

        List<ClaimedRun> batch = claimAndAttach(policy, 8);

        assertThat(batch).extracting(c -> c.job().id()).containsExactly(a1, a3, b1, b2);
        assertThat(claimAndAttach(policy, 8)).isEmpty();
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM agent_runs")).isEqualTo(4);
    }

    @Test
    void a_batch_claim_of_a_later_attempt_numbers_the_run_after_the_earlier_ones() {
        long id = f.job().insert();
        ClaimedRun first = claimAndAttach(TestStatements.capacityOnly(1), 1).get(0);
        assertThat(f.finishes.finishFailedAttempt(id, first.run().runId(), 1, false, "exit code 1", f.clock.instant(),
                f.clock.instant())).isPresent();

        ClaimedRun second = claimAndAttach(TestStatements.capacityOnly(1), 1).get(0);

        assertThat(second.job().id()).isEqualTo(id);
        assertThat(second.run().attempt()).isEqualTo(2);
        assertThat(RunRow.read(f.ds, second.run().runId()).attempt()).isEqualTo(2);
    }

    @Test
    void a_fenced_node_claims_nothing_in_a_batch() {
        f.nodes.registerNode(f.node, f.clock.instant());
        f.nodes.markNodesStopped(List.of(f.node.id()), f.clock.instant());
        f.job().insert();

        assertThat(claimAndAttach(TestStatements.capacityOnly(4), 4)).isEmpty();
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status = 'running'")).isZero();
        assertThatThrownBy(() -> claimAndAttach(TestStatements.capacityOnly(4), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_stamp_writes_job_and_run_in_one_statement_fenced_by_the_run() {
        f.job().insert();
        ClaimedRun c = claimAndAttach(TestStatements.capacityOnly(2), 1).get(0);
        Instant start = Instant.parse("2026-06-17T09:59:59.120Z");

        assertThat(f.claims.stampProcess(c.job().id(), c.run().runId(), 4321, start, 777L, f.clock.instant()))
                .isEqualTo(Ownership.OWNED);
        assertThat(JobRow.read(f.ds, c.job().id()).pid()).isEqualTo(4321L);
        RunRow run = RunRow.read(f.ds, c.run().runId());
        assertThat(run.pid()).isEqualTo(4321L);
        assertThat(run.processStartedAt()).isEqualTo(start);
        assertThat(run.processStartTicks()).isEqualTo(777L);

        // another run of the same job is not this run: the job is not stamped, the answer is LOST
        assertThat(f.claims.stampProcess(c.job().id(), c.run().runId() + 1000, 99, start, 1L, f.clock.instant()))
                .isEqualTo(Ownership.LOST);
        assertThat(JobRow.read(f.ds, c.job().id()).pid()).isEqualTo(4321L);
    }

    @Test
    void a_finish_closes_its_run_in_the_same_statement_and_a_late_one_closes_it_superseded() {
        f.job().insert();
        f.job().repo("other").insert();
        List<ClaimedRun> batch = claimAndAttach(TestStatements.capacityOnly(2), 2);
        ClaimedRun won = batch.get(0);
        ClaimedRun lost = batch.get(1);

        assertThat(f.finishes.finishDone(won.job().id(), won.run().runId(), 0, f.clock.instant()))
                .isEqualTo(Ownership.OWNED);
        assertThat(JobRow.read(f.ds, won.job().id()).status()).isEqualTo("done");
        RunRow done = RunRow.read(f.ds, won.run().runId());
        assertThat(done.outcome()).isEqualTo("done");
        assertThat(done.exitCode()).isZero();
        assertThat(done.finishedAt()).isEqualTo(f.clock.instant());

        // the job was taken from its run (an operator's SQL, another node): the run's end changes
        // nothing on the job, and the run is closed as superseded with its exit code
        f.db.execute("UPDATE jobs SET status = 'failed', finished_at = now() WHERE id = " + lost.job().id());
        assertThat(f.finishes.requeueTransient(lost.job().id(), lost.run().runId(), 75, "late", f.clock.instant(),
                f.clock.instant())).isEqualTo(Ownership.LOST);
        assertThat(JobRow.read(f.ds, lost.job().id()).status()).isEqualTo("failed");
        RunRow superseded = RunRow.read(f.ds, lost.run().runId());
        assertThat(superseded.outcome()).isEqualTo("superseded");
        assertThat(superseded.exitCode()).isEqualTo(75);

        // a closed run is never rewritten
        assertThat(f.finishes.finishDone(won.job().id(), won.run().runId(), 3, f.clock.instant().plusSeconds(5)))
                .isEqualTo(Ownership.LOST);
        assertThat(RunRow.read(f.ds, won.run().runId()).exitCode()).isZero();
        assertThat(RunRow.read(f.ds, won.run().runId()).outcome()).isEqualTo("done");
    }

    /**
     * Two nodes, two claimers each, claiming in batches of up to 4 over 1,200 jobs of 12 repos and two
     * agents, while a sampler reads the running rows in one snapshot at a time: capacity (5), the
     * serial gate (one running job per repo) and agent a's limit (2) are never exceeded, no job is
     * claimed twice, and every job ends done with exactly one run.
     */
    @Test
    void batch_claims_of_two_nodes_keep_capacity_serial_gate_and_agent_limits_exact() throws Exception {
        int jobs = 1200;
        ClaimPolicy policy = new ClaimPolicy(5, true, true, Map.of("a", 2));
        try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                    + "SELECT CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, 'r' || (g % 12), now() - interval '1 hour', "
                    + "now(), now() FROM generate_series(1, " + jobs + ") g");
        }
        Clock clock = Clock.systemUTC();
        ConcurrentLinkedQueue<Long> claimed = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong maxRunning = new AtomicLong();
        AtomicLong maxPerRepo = new AtomicLong();
        AtomicLong maxAgentA = new AtomicLong();
        AtomicLong largestBatch = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        Future<?> sampler = pool.submit(() -> {
            try (Connection c = f.ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                    SELECT (SELECT count(*) FROM jobs WHERE status = 'running') AS running,
                           (SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM jobs WHERE status = 'running'
                                                              GROUP BY repo) per_repo) AS per_repo,
                           (SELECT count(*) FROM jobs WHERE status = 'running' AND agent = 'a') AS agent_a
                    """)) {
                while (!done.get()) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        maxRunning.accumulateAndGet(rs.getLong("running"), Math::max);
                        maxPerRepo.accumulateAndGet(rs.getLong("per_repo"), Math::max);
                        maxAgentA.accumulateAndGet(rs.getLong("agent_a"), Math::max);
                    }
                }
            }
            return null;
        });
        List<Future<?>> claimers = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            NodeIdentity node = new NodeIdentity("node-" + n, "host", "boot", n, Instant.EPOCH, null);
            QueueStores store = QueueStores.on(f.ds); // each node its own stores, one database
            for (int t = 0; t < 2; t++) {
                claimers.add(pool.submit(() -> {
                    while (true) {
                        List<ClaimedRun> batch = store.claims().claimAndAttach(node, clock.instant(), policy, 4, LOGS);
                        if (batch.isEmpty()) {
                            if (TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status <> 'done'") == 0) {
                                return null;
                            }
                            continue; // every slot (or every eligible job) is taken: try again
                        }
                        largestBatch.accumulateAndGet(batch.size(), Math::max);
                        for (ClaimedRun c : batch) {
                            claimed.add(c.job().id());
                            assertThat(store.claims().stampProcess(c.job().id(), c.run().runId(), 4242, null, null,
                                    clock.instant()).owned()).isTrue();
                            assertThat(store.finishes().finishDone(c.job().id(), c.run().runId(), 0, clock.instant())
                                    .owned()).isTrue();
                        }
                    }
                }));
            }
        }
        for (Future<?> c : claimers) {
            c.get(5, TimeUnit.MINUTES);
        }
        done.set(true);
        sampler.get(1, TimeUnit.MINUTES);
        pool.shutdown();

        assertThat(claimed).hasSize(jobs).doesNotHaveDuplicates();
        assertThat(largestBatch.get()).as("some transaction claimed several jobs").isGreaterThan(1);
        assertThat(maxRunning.get()).isBetween(1L, 5L);
        assertThat(maxPerRepo.get()).isEqualTo(1L);
        assertThat(maxAgentA.get()).isBetween(1L, 2L);
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM agent_runs")).isEqualTo(jobs);
        assertThat(TestJobs.count(f.ds, "SELECT count(DISTINCT job_id) FROM agent_runs WHERE outcome = 'done'"))
                .isEqualTo(jobs);
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status = 'done'")).isEqualTo(jobs);
    }
}
