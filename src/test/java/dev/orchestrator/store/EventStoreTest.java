package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.event.EventPosition;
import dev.orchestrator.domain.event.JobEvent;
import dev.orchestrator.domain.event.JobEventLog;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.testing.QueueFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The event feed (V7): each transition, made by the real stores, writes its event in its own
 * transaction; the feed is read in an order no late commit can break; retention moves the pruned mark.
 */
class EventStoreTest {
    private final QueueFixture f = new QueueFixture();
    private final EventStore events = f.events;

    private long enqueue(String repo) {
        return new EnqueueStore(f.ds).insert(List.of(Job.enqueue(new NewJob("echo", new RepoName(repo), "{}", 0, 2,
                List.of()), f.clock.instant().atOffset(ZoneOffset.UTC), null)), List.of(List.of()), List.of(List.of()))
                .get(0);
    }

    private RunStart claimAndAttach() {
        ClaimedJob job = f.claims.claimNext(f.node.id(), f.clock.instant(), TestStatements.capacityOnly(100))
                .orElseThrow();
        return f.claims.attachRun(job, f.node, f.clock.instant(), id -> Path.of("/tmp/orch-test-runs", "" + id,
                "output.log")).orElseThrow();
    }

    /** Everything the feed has settled, from the start. */
    private List<JobEvent> all() {
        return events.readNew(EventPosition.START, 10_000).events();
    }

    private static AuditEvent audit(String action) {
        return new AuditEvent(null, Instant.parse("2026-06-17T10:00:00Z"), "test", action, "*",
                AuditEvent.Result.DONE, null, null);
    }

    @Test
    void every_transition_writes_its_event_with_the_job_after_it() {
        long done = enqueue("alpha");
        RunStart run = claimAndAttach();
        assertThat(run.jobId()).isEqualTo(done);
        f.claims.stampProcess(done, run.runId(), 4242, f.clock.instant(), 99L, f.clock.instant());
        f.finishes.finishDone(done, run.runId(), 0, f.clock.instant());

        long retried = enqueue("beta");
        RunStart second = claimAndAttach();
        f.finishes.requeueTransient(retried, second.runId(), 75, "overloaded", f.clock.instant().plusSeconds(30),
                f.clock.instant());

        long cancelled = enqueue("gamma");
        f.db.execute("UPDATE jobs SET status = 'cancelled', finished_at = updated_at WHERE id = " + cancelled);

        f.control.pause("repo:delta", f.clock.instant(), audit(AuditEvent.PAUSE));
        f.control.resume("repo:delta", audit(AuditEvent.RESUME));
        f.control.pause("*", f.clock.instant(), audit(AuditEvent.PAUSE));

        assertThat(all()).extracting(JobEvent::type, JobEvent::jobId, JobEvent::repo, JobEvent::status,
                        JobEvent::scope)
                .containsExactly(
                        tuple("enqueued", done, "alpha", "queued", null),
                        tuple("claimed", done, "alpha", "running", null),
                        tuple("started", done, "alpha", "running", null),
                        tuple("finished", done, "alpha", "done", null),
                        tuple("enqueued", retried, "beta", "queued", null),
                        tuple("claimed", retried, "beta", "running", null),
                        tuple("retried", retried, "beta", "queued", null),
                        tuple("enqueued", cancelled, "gamma", "queued", null),
                        tuple("cancelled", cancelled, "gamma", "cancelled", null),
                        tuple("paused", null, "delta", null, "repo:delta"),
                        tuple("resumed", null, "delta", null, "repo:delta"),
                        tuple("paused", null, null, null, "*"));
        JobEvent started = all().get(2);
        assertThat(started.runId()).isEqualTo(run.runId());
        assertThat(started.node()).isEqualTo(f.node.id());
        assertThat(started.at()).isEqualTo(f.clock.instant());
        assertThat(all().get(6).availableAt()).isEqualTo(f.clock.instant().plusSeconds(30));
        assertThat(all().get(3).availableAt()).isNull();
    }

    @Test
    void a_batch_writes_one_event_per_job_in_id_order_and_updates_that_change_nothing_write_none() {
        List<Job> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(Job.enqueue(new NewJob("echo", new RepoName("r" + i), "{}", 0, 2, List.of()),
                    f.clock.instant().atOffset(ZoneOffset.UTC), null));
        }
        List<Long> ids = new EnqueueStore(f.ds).insert(batch, Collections.nCopies(50, List.of()),
                Collections.nCopies(50, List.of()));
        f.db.execute("UPDATE jobs SET priority = priority + 1");

        List<JobEvent> feed = all();
        assertThat(feed).extracting(JobEvent::jobId).containsExactlyElementsOf(ids);
        assertThat(feed).extracting(JobEvent::type).containsOnly("enqueued");
        assertThat(feed).extracting(JobEvent::position).isSorted();
    }

    /**
     * The reason for reading behind the oldest running transaction: a transaction that wrote first but commits
     * last. A reader going by commit visibility alone would have moved past it; this one waits for it, then
     * reads both in feed order.
     */
    @Test
    void an_event_that_commits_late_is_neither_skipped_nor_overtaken() throws Exception {
        try (Connection slow = f.ds.getConnection(); Connection fast = f.ds.getConnection()) {
            slow.setAutoCommit(false);
            fast.setAutoCommit(false);
            try (Statement s = slow.createStatement()) {
                s.execute("INSERT INTO claim_pauses (scope, paused_at) VALUES ('repo:slow', now())");
            }
            try (Statement s = fast.createStatement()) {
                s.execute("INSERT INTO claim_pauses (scope, paused_at) VALUES ('repo:fast', now())");
            }
            fast.commit();
            JobEventLog.Settled meanwhile = events.readNew(EventPosition.START, 100);
            assertThat(meanwhile.events()).as("fast committed, but slow (older) is still open").isEmpty();
            assertThat(events.readBetween(EventPosition.START, meanwhile.horizon(), 100)).isEmpty();

            slow.commit();
            List<JobEvent> feed = events.readNew(EventPosition.START, 100).events();
            assertThat(feed).extracting(JobEvent::scope).containsExactly("repo:slow", "repo:fast");
            assertThat(feed.get(0).position().tx()).isLessThan(feed.get(1).position().tx());

            assertThat(events.readNew(feed.get(0).position(), 100).events()).extracting(JobEvent::scope)
                    .containsExactly("repo:fast");
            assertThat(events.readNew(feed.get(1).position(), 100).events()).isEmpty();
        }
    }

    /** JPA reads a new job's id with lastval(): the triggers must not draw from a sequence after the insert. */
    @Test
    void an_insert_leaves_lastval_at_the_new_jobs_id_and_numbers_events_within_its_transaction() throws Exception {
        try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            long id;
            try (java.sql.ResultSet rs = s.executeQuery("INSERT INTO jobs (agent, repo, available_at, created_at, "
                    + "updated_at) VALUES ('echo', 'r', now(), now(), now()) RETURNING id")) {
                rs.next();
                id = rs.getLong(1);
            }
            try (java.sql.ResultSet rs = s.executeQuery("SELECT lastval()")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(id);
            }
            s.execute("UPDATE jobs SET status = 'cancelled', finished_at = now() WHERE id = " + id);
            s.execute("INSERT INTO claim_pauses (scope, paused_at) VALUES ('*', now())");
            c.commit();
        }
        assertThat(all()).extracting(e -> e.position().seq()).containsExactly(1L, 2L, 3L);
        assertThat(all()).extracting(e -> e.position().tx()).containsOnly(all().get(0).position().tx());
    }

    @Test
    void reads_page_in_order_and_stop_at_the_upper_bound() {
        for (int i = 0; i < 7; i++) {
            enqueue("r" + i);
        }
        List<JobEvent> feed = all();
        JobEventLog.Settled first = events.readNew(EventPosition.START, 3);
        assertThat(first.events()).containsExactlyElementsOf(feed.subList(0, 3));
        assertThat(events.readNew(first.events().get(2).position(), 3).events())
                .containsExactlyElementsOf(feed.subList(3, 6));
        assertThat(events.readBetween(feed.get(1).position(), feed.get(4).position(), 100))
                .containsExactlyElementsOf(feed.subList(2, 5));
        assertThat(events.horizon()).isGreaterThan(feed.get(6).position());
        assertThat(events.nextTx()).isGreaterThan(feed.get(6).position().tx());
    }

    @Test
    void pruning_deletes_the_oldest_events_before_the_cutoff_and_moves_the_mark() {
        for (int i = 0; i < 5; i++) {
            enqueue("r" + i);
        }
        f.db.execute("UPDATE job_events SET at = at - interval '2 days' WHERE job_id <= 3");
        List<JobEvent> before = all();
        assertThat(events.pruned()).isEqualTo(EventPosition.START);

        assertThat(events.prune(f.clock.instant().minusSeconds(86_400), 2)).isEqualTo(2);
        assertThat(events.prune(f.clock.instant().minusSeconds(86_400), 2)).isEqualTo(1);
        assertThat(events.prune(f.clock.instant().minusSeconds(86_400), 2)).isZero();

        assertThat(all()).containsExactlyElementsOf(before.subList(3, 5));
        assertThat(events.pruned()).isEqualTo(before.get(2).position());
    }
}
