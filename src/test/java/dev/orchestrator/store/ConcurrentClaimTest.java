package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two nodes with two claimers each race over thousands of jobs: no job is claimed twice, every job
 * is claimed, and the number of running jobs never exceeds max_concurrency (sampled continuously
 * from the database by a fifth thread).
 */
class ConcurrentClaimTest {
    private static final int JOBS = 3000;
    private static final int MAX_CONCURRENCY = 3;

    @Test
    void concurrent_claimers_never_claim_a_job_twice_nor_exceed_max_concurrency() throws Exception {
        QueueFixture f = new QueueFixture();
        try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                    + "SELECT 'a', 'r' || (g % 50), now() - interval '1 hour', now(), now() "
                    + "FROM generate_series(1, " + JOBS + ") g");
        }
        Clock clock = Clock.systemUTC();
        ConcurrentLinkedQueue<Long> claimed = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong maxSeenRunning = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(5);
        Future<?> sampler = pool.submit(() -> {
            try (Connection c = f.ds.getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM jobs WHERE status = 'running'")) {
                while (!done.get()) {
                    try (var rs = ps.executeQuery()) {
                        rs.next();
                        maxSeenRunning.accumulateAndGet(rs.getLong(1), Math::max);
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
                        Optional<ClaimedJob> job = store.claims().claimNext(node.id(), clock.instant(), TestStatements.capacityOnly(MAX_CONCURRENCY));
                        if (job.isEmpty()) {
                            if (TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status <> 'done'") == 0) {
                                return null;
                            }
                            continue; // all slots busy: try again
                        }
                        claimed.add(job.get().id());
                        RunStart run = store.claims().attachRun(job.get(), node, clock.instant(),
                                id -> Path.of("/tmp", "" + id, "output.log")).orElseThrow();
                        assertThat(store.finishes().finishDone(job.get().id(), run.runId(), 0, clock.instant()).owned())
                                .isTrue();
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

        assertThat(claimed).hasSize(JOBS);
        assertThat(claimed).doesNotHaveDuplicates();
        assertThat(maxSeenRunning.get()).isBetween(1L, (long) MAX_CONCURRENCY);
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM agent_runs")).isEqualTo(JOBS);
        assertThat(TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status = 'done'")).isEqualTo(JOBS);
    }

    /**
     * Gates on, under concurrency (ADR 0009): while two nodes with two claimers each drain the queue,
     * two writers keep enqueueing jobs behind a backlog of a busy repo, many of them depending on
     * earlier jobs, so lane rows are created, relied on and compacted concurrently. Every job must
     * end done exactly once (no job left unclaimable by stale bookkeeping), the serial gate and
     * max_concurrency hold throughout (sampled), and the bookkeeping is exact at the end.
     */
    @Test
    void with_gates_on_concurrent_claims_and_enqueues_never_strand_a_job() throws Exception {
        QueueFixture f = new QueueFixture();
        int perWriter = 600;
        ClaimPolicy policy = new ClaimPolicy(MAX_CONCURRENCY, true, true, Map.of());
        Clock clock = Clock.systemUTC();
        ConcurrentLinkedQueue<Long> claimed = new ConcurrentLinkedQueue<>();
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong maxSeenRunning = new AtomicLong();
        AtomicLong maxSeenPerRepo = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(7);
        Future<?> sampler = pool.submit(() -> {
            try (Connection c = f.ds.getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(max(n), 0) FROM"
                         + " (SELECT count(*) AS n FROM jobs WHERE status = 'running' GROUP BY repo) r")) {
                while (!done.get()) {
                    try (var rs = ps.executeQuery()) {
                        rs.next();
                        maxSeenPerRepo.accumulateAndGet(rs.getLong(2), Math::max);
                    }
                    maxSeenRunning.accumulateAndGet(TestJobs.count(f.ds,
                            "SELECT count(*) FROM jobs WHERE status = 'running'"), Math::max);
                }
            }
            return null;
        });
        List<Future<?>> writers = new ArrayList<>();
        List<Long> committed = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < 2; w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                java.util.Random random = new java.util.Random(writer);
                for (int i = 0; i < perWriter; i++) {
                    try (Connection c = f.ds.getConnection()) {
                        c.setAutoCommit(false);
                        long id;
                        try (PreparedStatement ps = c.prepareStatement("INSERT INTO jobs (agent, repo, priority,"
                                + " available_at, created_at, updated_at) VALUES ('a', ?, ?, now() - interval '1 hour',"
                                + " now(), now()) RETURNING id")) {
                            ps.setString(1, "r" + random.nextInt(8));
                            ps.setInt(2, random.nextInt(3));
                            try (var rs = ps.executeQuery()) {
                                rs.next();
                                id = rs.getLong(1);
                            }
                        }
                        int known = committed.size();
                        if (known > 0 && random.nextInt(3) == 0) { // on a job that exists, as the API demands
                            try (PreparedStatement ps = c.prepareStatement("INSERT INTO job_dependencies"
                                    + " (job_id, depends_on) VALUES (?, ?)")) {
                                ps.setLong(1, id);
                                ps.setLong(2, committed.get(random.nextInt(known)));
                                ps.executeUpdate();
                            }
                        }
                        c.commit();
                        committed.add(id);
                    }
                }
                return null;
            }));
        }
        List<Future<?>> claimers = new ArrayList<>();
        for (int n = 0; n < 2; n++) {
            NodeIdentity node = new NodeIdentity("node-" + n, "host", "boot", n, Instant.EPOCH, null);
            QueueStores store = QueueStores.on(f.ds);
            for (int t = 0; t < 2; t++) {
                claimers.add(pool.submit(() -> {
                    while (true) {
                        Optional<ClaimedJob> job = store.claims().claimNext(node.id(), clock.instant(), policy);
                        if (job.isEmpty()) {
                            if (!writing.get()
                                    && TestJobs.count(f.ds, "SELECT count(*) FROM jobs WHERE status <> 'done'") == 0) {
                                return null;
                            }
                            continue;
                        }
                        claimed.add(job.get().id());
                        RunStart run = store.claims().attachRun(job.get(), node, clock.instant(),
                                id -> Path.of("/tmp", "" + id, "output.log")).orElseThrow();
                        assertThat(store.finishes().finishDone(job.get().id(), run.runId(), 0, clock.instant()).owned())
                                .isTrue();
                    }
                }));
            }
        }
        for (Future<?> w : writers) {
            w.get(5, TimeUnit.MINUTES);
        }
        writing.set(false);
        for (Future<?> c : claimers) {
            c.get(5, TimeUnit.MINUTES);
        }
        done.set(true);
        sampler.get(1, TimeUnit.MINUTES);
        pool.shutdown();

        assertThat(claimed).hasSize(2 * perWriter).doesNotHaveDuplicates();
        assertThat(maxSeenRunning.get()).isBetween(1L, (long) MAX_CONCURRENCY);
        assertThat(maxSeenPerRepo.get()).as("the serial gate").isEqualTo(1L);
        TestStatements.assertClaimBookkeepingExact(f.ds, "after the race");
    }
}
