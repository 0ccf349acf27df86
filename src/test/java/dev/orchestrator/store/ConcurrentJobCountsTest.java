package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.IllegalJobTransitionException;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.QueueFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many threads enqueue (JPA and SQL), claim, finish every way, requeue, cancel (entity and guarded
 * statement) and prune at once, while a sampler compares the counters with {@code count(*)} in one
 * snapshot over and over: they must agree in every snapshot, and at the end.
 */
class ConcurrentJobCountsTest {
    private static final int WORKERS = 6;
    private static final int ITERATIONS = 120;

    /** One statement, so one snapshot: the counter sums and count(*) of the same committed rows. */
    private static final String SAME_SNAPSHOT = """
            SELECT (SELECT count(*) FROM jobs WHERE status = 'queued') - (SELECT sum(queued) FROM job_counts) AS queued,
                   (SELECT count(*) FROM jobs WHERE status = 'running') - (SELECT sum(running) FROM job_counts) AS running,
                   (SELECT count(*) FROM jobs WHERE status = 'done') - (SELECT sum(done) FROM job_counts) AS done,
                   (SELECT count(*) FROM jobs WHERE status = 'failed') - (SELECT sum(failed) FROM job_counts) AS failed,
                   (SELECT count(*) FROM jobs WHERE status = 'cancelled') - (SELECT sum(cancelled) FROM job_counts)
                       AS cancelled
            """;

    private final QueueFixture f = new QueueFixture();
    private final LocalJpa jobs = QueueFixture.jobs();

    @Test
    void counters_equal_count_star_in_every_snapshot_under_concurrent_transitions() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong samples = new AtomicLong();
        List<String> mismatches = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong pruned = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        Future<?> sampler = pool.submit(() -> {
            try (Connection c = f.ds.getConnection(); PreparedStatement ps = c.prepareStatement(SAME_SNAPSHOT)) {
                while (!done.get()) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        for (JobStatus s : JobStatus.values()) {
                            if (rs.getLong(s.db()) != 0) {
                                mismatches.add(s + " off by " + rs.getLong(s.db()) + " in sample " + samples.get());
                            }
                        }
                    }
                    samples.incrementAndGet();
                }
            }
            return null;
        });
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            workers.add(pool.submit(() -> {
                for (int i = 0; i < ITERATIONS; i++) {
                    step(worker, pruned);
                }
                return null;
            }));
        }
        for (Future<?> w : workers) {
            w.get(3, TimeUnit.MINUTES);
        }
        done.set(true);
        sampler.get(1, TimeUnit.MINUTES);
        pool.shutdown();

        assertThat(mismatches).as("snapshots where the counters disagreed with count(*)").isEmpty();
        assertThat(samples.get()).as("snapshots compared while the writers ran").isGreaterThan(10);
        Map<JobStatus, Long> counted = new EnumMap<>(JobStatus.class);
        for (JobStatus s : JobStatus.values()) {
            counted.put(s, f.db.count("SELECT count(*) FROM jobs WHERE status = '" + s.db() + "'"));
        }
        assertThat(f.control.statusCounts()).isEqualTo(counted);
        assertThat(counted.get(JobStatus.DONE) + counted.get(JobStatus.FAILED) + counted.get(JobStatus.CANCELLED))
                .as("jobs finished").isPositive();
        assertThat(pruned.get()).as("jobs deleted by retention meanwhile").isPositive();
    }

    private void step(int worker, AtomicLong pruned) throws Exception {
        Instant now = Instant.now();
        switch (ThreadLocalRandom.current().nextInt(10)) {
            case 0, 1 -> new EnqueueStore(f.ds).insert(List.of(Job.enqueue(new NewJob("echo", new RepoName("r" + worker),
                    "{}", 0, 2, List.of()), now.atOffset(ZoneOffset.UTC), null)), List.of(List.of()), List.of(List.of()));
            case 2, 3 -> {
                try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                            + "SELECT 'echo', 'r" + worker + "', now(), now(), now() FROM generate_series(1, 3)");
                }
            }
            case 4 -> claim(now).map(this::attach).ifPresent(r -> f.finishes.finishDone(r.jobId(), r.runId(), 0, now));
            case 5 -> claim(now).map(this::attach).ifPresent(r -> f.finishes.finishFailedAttempt(r.jobId(), r.runId(),
                    1, false, "exit 1", now, now));
            case 6 -> claim(now).map(this::attach).ifPresent(r -> f.finishes.requeueTransient(r.jobId(), r.runId(),
                    75, "later", now, now));
            case 7 -> claim(now).ifPresent(c -> f.finishes.finishCancelled(c.id(), null, null, "cancelled", now));
            case 8 -> {
                long id = f.db.count("SELECT coalesce(max(id), 0) FROM jobs WHERE status = 'queued'");
                try {
                    jobs.changeLocked(id, job -> {
                        job.cancel("cancelled by operator", now.atOffset(ZoneOffset.UTC));
                        return true;
                    });
                } catch (IllegalJobTransitionException e) {
                    // claimed by another thread meanwhile: nothing changed
                }
            }
            default -> pruned.addAndGet(f.control.pruneFinished(now.plusSeconds(60), 3).size());
        }
    }

    private Optional<ClaimedJob> claim(Instant now) {
        return f.claims.claimNext(f.node.id(), now, TestStatements.capacityOnly(1000));
    }

    private RunStart attach(ClaimedJob job) {
        return f.claims.attachRun(job, f.node, Instant.now(), id -> Path.of("/tmp/orch-test-runs", "" + id,
                "output.log")).orElseThrow();
    }
}
