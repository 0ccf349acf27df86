package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

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
}
