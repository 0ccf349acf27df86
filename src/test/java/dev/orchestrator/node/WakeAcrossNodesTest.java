package dev.orchestrator.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.QueueService;
import dev.orchestrator.store.EnqueueStore;
import dev.orchestrator.testing.Actors;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.QueueFixture;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Wake-ups across nodes (LISTEN/NOTIFY) on the tests' real PostgreSQL: two nodes on one database,
 * node B with a poll interval of a minute, so that only a notification can make it act within the
 * bounds below.
 */
class WakeAcrossNodesTest {
    /** Far below B's poll interval (60 s), far above a notification's few milliseconds. */
    private static final Duration PROMPTLY = Duration.ofSeconds(10);
    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b
            .setting("ORCH_NOTIFY_ENABLED", "true")
            .setting("ORCH_DISPATCH_POLL_MILLIS", "60000")
            .setting("ORCH_MAX_CONCURRENCY", "4"));

    private NodeHarness a;
    private NodeHarness b;

    @BeforeEach
    void two_nodes() {
        a = nodes.harness();
        b = nodes.another();
    }

    private JobRow job(long id) {
        return a.job(id);
    }

    private static long enqueueOn(NodeHarness h, String agent, String repo) {
        QueueService queue = new QueueService(QueueFixture.jobs(), new EnqueueStore(h.f.ds), NodeHarness.agents(), h.node(), 3);
        return queue.enqueue(new EnqueueCommand(agent, repo, null, null, null, null), null, Actors.OPERATOR)
                .job().id();
    }

    /** Starts B's dispatcher and listener and waits until B listens and has made its first pass. */
    private void startIdle(NodeHarness h, String id) {
        h.start(id);
        h.node().startDispatching(Executors.defaultThreadFactory());
        await().atMost(WAIT).until(() -> h.node().wakeupStatus().connected() && h.node().dispatcher().isRunning());
    }

    @Test
    void an_enqueue_on_node_a_starts_on_idle_node_b_long_before_b_polls() {
        a.start("node-a"); // A announces but does not dispatch: only B can claim
        startIdle(b, "node-b");

        long id = enqueueOn(a, "ok", "r1");

        await().atMost(PROMPTLY).until(() -> "done".equals(job(id).status()));
        assertThat(job(id).claimedBy()).isEqualTo("node-b");
        assertThat(b.node().wakeupStatus().notifications()).isPositive();
        assertThat(a.node().wakeupStatus().sent()).isPositive();
    }

    @Test
    void a_slot_freed_on_a_wakes_b_which_claims_the_job_that_waited_for_capacity() throws Exception {
        a.configure(c -> c.setting("ORCH_MAX_CONCURRENCY", "1"));
        b.configure(c -> c.setting("ORCH_MAX_CONCURRENCY", "1"));
        a.start("node-a");
        long first = a.f.job().agent("wait").repo("r1").insert();
        assertThat(a.node().dispatcher().drain()).isEqualTo(1); // A runs it; the only slot is taken
        await().atMost(WAIT).until(() -> job(first).pid() != null);
        long waiting = a.f.job().agent("ok").repo("r2").insert();
        startIdle(b, "node-b");
        assertThat(job(waiting).status()).as("no slot for B yet").isEqualTo("queued");

        Files.createDirectories(a.release().getParent());
        Files.createFile(a.release()); // A's run ends: its slot is free

        await().atMost(PROMPTLY).until(() -> "done".equals(job(waiting).status()));
        assertThat(job(first).status()).isEqualTo("done");
        assertThat(job(waiting).claimedBy()).isEqualTo("node-b");
    }

    @Test
    void a_killed_listener_reconnects_listens_again_and_looks_for_work_it_missed() {
        AtomicBoolean refuse = new AtomicBoolean();
        b.configure(c -> c.listenerConnections(real -> () -> {
            if (refuse.get()) {
                throw new SQLException("test: the database refuses the listener", "08001");
            }
            return real.connect();
        }));
        a.start("node-a");
        startIdle(b, "node-b");
        int firstBackend = b.node().wakeupStatus().backendPid();

        refuse.set(true); // B cannot reconnect until we say so
        terminate(firstBackend); // a real loss: the server ends the listener's backend
        await().atMost(WAIT).until(() -> !b.node().wakeupStatus().connected());
        assertThat(b.node().wakeupStatus().lastError()).isNotNull();
        long missed = enqueueOn(a, "ok", "r1"); // announced while B does not listen: lost
        assertThat(job(missed).status()).isEqualTo("queued");

        refuse.set(false);
        // only the re-poll after reconnecting can start it before B's minute-long poll
        await().atMost(PROMPTLY).until(() -> "done".equals(job(missed).status()));
        NodeWakeups.Status s = b.node().wakeupStatus();
        assertThat(s.connected()).isTrue();
        assertThat(s.reconnects()).isEqualTo(1);
        assertThat(s.backendPid()).isNotEqualTo(firstBackend);
        assertThat(s.lastError()).isNull();

        long received = s.notifications();
        long later = enqueueOn(a, "ok", "r2"); // B listens again: notified, no poll needed
        await().atMost(PROMPTLY).until(() -> "done".equals(job(later).status()));
        assertThat(job(later).claimedBy()).isEqualTo("node-b");
        assertThat(b.node().wakeupStatus().notifications()).isGreaterThan(received);
    }

    @Test
    void jobs_handed_back_by_a_stopping_node_start_on_the_other_node_at_once() throws Exception {
        a.start("node-a");
        long id = a.f.job().agent("wait").repo("r1").insert();
        assertThat(a.node().dispatcher().drain()).isEqualTo(1);
        await().atMost(WAIT).until(() -> job(id).pid() != null);
        startIdle(b, "node-b");

        a.nodeExecutor.hold(); // A's exit handler (whose freed slot would announce too) waits: only the stop announces
        a.stopNode(); // kills its run and requeues the job uncounted, then announces it
        Files.createDirectories(b.release().getParent());
        Files.createFile(b.release()); // the second run may end

        await().atMost(PROMPTLY).until(() -> "done".equals(job(id).status()));
        assertThat(job(id).claimedBy()).isEqualTo("node-b");
    }

    @Test
    void a_node_counts_its_own_notifications_and_skips_them_having_woken_in_jvm() {
        startIdle(a, "node-a");
        long id = enqueueOn(a, "ok", "r1");
        await().atMost(PROMPTLY).until(() -> "done".equals(job(id).status()));
        await().atMost(WAIT).until(() -> a.node().wakeupStatus().own() > 0);
        assertThat(a.node().wakeupStatus().own()).isEqualTo(a.node().wakeupStatus().notifications());
    }

    @Test
    void a_burst_of_wake_ups_goes_out_as_one_notification_naming_its_reasons_and_sender() {
        a.start("node-a");
        startIdle(b, "node-b");
        a.nodeExecutor.hold(); // the first send waits; everything after it joins the pending one
        for (int i = 0; i < 50; i++) {
            a.node().wake();
        }
        a.node().wake(WakeReason.SLOT_FREED);
        assertThat(a.nodeExecutor.heldCount()).isEqualTo(1);
        a.nodeExecutor.release();

        await().atMost(WAIT).until(() -> b.node().wakeupStatus().notifications() == 1);
        assertThat(a.node().wakeupStatus().sent()).isEqualTo(1);
        assertThat(WakeAnnouncer.payload("enqueued,slot_freed", "node-a")).isEqualTo("enqueued,slot_freed node-a");
        assertThat(WakeAnnouncer.sentBy("enqueued,slot_freed node-a", "node-a")).isTrue();
        assertThat(WakeAnnouncer.sentBy("enqueued node-a", "node-b")).isFalse();
        assertThat(WakeAnnouncer.sentBy("enqueued node-a:1", "node-a")).isFalse();
        assertThat(WakeAnnouncer.sentBy("manual", "node-a")).as("an operator's NOTIFY").isFalse();
    }

    @Test
    void the_listener_stops_with_the_node_leaving_no_thread_and_no_connection() {
        startIdle(a, "node-a");
        int backend = a.node().wakeupStatus().backendPid();
        assertThat(listenerThreads()).isPositive();
        assertThat(backendAlive(backend)).isTrue();

        a.stopNode();

        assertThat(a.node().wakeupStatus().listening()).isFalse();
        assertThat(a.node().wakeupStatus().connected()).isFalse();
        assertThat(listenerThreads()).isZero();
        await().atMost(WAIT).until(() -> !backendAlive(backend));
    }

    @Test
    void switched_off_a_node_neither_listens_nor_announces() {
        a.configure(c -> c.setting("ORCH_NOTIFY_ENABLED", "false"));
        startIdle(b, "node-b");
        a.start("node-a");
        a.node().startDispatching(Executors.defaultThreadFactory());
        long id = enqueueOn(a, "ok", "r1"); // A claims it itself
        await().atMost(WAIT).until(() -> "done".equals(job(id).status()));

        NodeWakeups.Status s = a.node().wakeupStatus();
        assertThat(s.enabled()).isFalse();
        assertThat(s.sent()).isZero();
        assertThat(listenerThreads()).isEqualTo(1); // B's only
        assertThat(b.node().wakeupStatus().notifications()).isZero();
    }

    private static long listenerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && "orchestrator-wake-listener".equals(t.getName())).count();
    }

    private boolean backendAlive(int pid) {
        return a.f.db.count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) > 0;
    }

    private void terminate(int pid) {
        assertThat(a.f.db.count("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid
                + " AND application_name = 'orchestrator-wake-listener'")).isEqualTo(1);
        a.f.db.count("SELECT CASE WHEN pg_terminate_backend(" + pid + ") THEN 1 ELSE 0 END");
    }
}
