package dev.orchestrator.node;

import dev.orchestrator.testing.JobRow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.store.NodeStore;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.Processes;
import dev.orchestrator.testing.SwitchableDataSource;
import dev.orchestrator.testing.TestJobs;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.store.QueueStores;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Heartbeats and self-fencing: a node never keeps running jobs that other nodes may take back. */
class NodeLeaseTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2));

    private NodeHarness h;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
    }


    private JobRow job(long id) {
        return h.job(id);
    }

    private long startWaitingJob() {
        long id = h.f.job().agent("wait").repo("w").insert();
        assertThat(h.node().dispatcher().drain()).isEqualTo(1);
        return id;
    }

    @Test
    void a_heartbeat_moves_the_nodes_lease_on_the_database_clock() {
        h.start("n1");
        h.f.db.execute("UPDATE nodes SET heartbeat_at = now() - interval '1 hour' WHERE id = 'n1'");

        h.node().lease().heartbeat();

        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM nodes WHERE id = 'n1' "
                + "AND heartbeat_at > now() - interval '1 minute'")).isEqualTo(1);
        assertThat(h.node().lease().isFenced()).isFalse();
    }

    @Test
    void a_node_found_fenced_kills_its_agents_then_rejoins() {
        h.start("n1");
        long id = startWaitingJob();
        long pid = job(id).pid();
        h.f.db.execute("UPDATE nodes SET stopped_at = now() WHERE id = 'n1'"); // another node fenced us

        h.node().lease().heartbeat();

        await().atMost(WAIT).until(() -> Processes.gone(pid));
        await().atMost(WAIT).until(() -> !"running".equals(job(id).status()));
        assertThat(job(id).error()).contains("node fenced");
        assertThat(TestJobs.count(h.f.ds, "SELECT count(*) FROM nodes WHERE id = 'n1' AND stopped_at IS NULL"))
                .as("rejoined").isEqualTo(1);
        assertThat(h.node().dispatcher().isPaused()).isFalse();
        assertThat(h.node().lease().status().fencedTotal()).isEqualTo(1);
    }

    @Test
    void a_node_that_cannot_heartbeat_for_half_its_lease_stops_claiming_and_kills_its_agents() {
        h.configure(b -> b.setting("ORCH_MAX_CONCURRENCY", "2")); // the killed job is requeued and waits again: leave a slot
        h.start("n1");
        long id = startWaitingJob();
        long pid = job(id).pid();
        SwitchableDataSource db = new SwitchableDataSource(h.f.ds);
        AtomicLong nanos = new AtomicLong();
        NodeLease lease = new NodeLease(h.node().context(), new NodeStore(db), h.node().dispatcher(),
                h.node().termination(), Duration.ofSeconds(30), nanos::get);
        db.down(true);

        nanos.set(Duration.ofSeconds(14).toNanos());
        lease.heartbeat();
        assertThat(lease.isFenced()).isFalse();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

        nanos.set(Duration.ofSeconds(16).toNanos());
        lease.heartbeat();
        assertThat(lease.isFenced()).isTrue();
        assertThat(h.node().dispatcher().isPaused()).isTrue();
        await().atMost(WAIT).until(() -> Processes.gone(pid));
        long queued = h.f.job().agent("ok").insert();
        assertThat(h.node().dispatcher().drain()).as("no claims while fenced").isZero();

        db.down(false);
        lease.heartbeat();
        assertThat(lease.isFenced()).isFalse();
        assertThat(h.node().dispatcher().isPaused()).isFalse();
        await().atMost(WAIT).until(() -> {
            h.node().dispatcher().drain();
            return "done".equals(job(queued).status());
        });
    }

    private long stoppedNodes(String id) {
        return TestJobs.count(h.f.ds, "SELECT count(*) FROM nodes WHERE id = '" + id + "' AND stopped_at IS NOT NULL");
    }

    @Test
    void a_heartbeat_after_the_orderly_stop_does_not_bring_the_stopped_node_back() {
        h.start("n1");
        h.stopNode();
        assertThat(stoppedNodes("n1")).isEqualTo(1);

        h.node().lease().heartbeat(); // a timer tick that fires during undeploy

        assertThat(stoppedNodes("n1")).as("stopped_at kept").isEqualTo(1);
        assertThat(h.node().lease().status().fencedTotal()).as("not taken for a fence").isZero();
    }

    @Test
    void a_stop_during_a_heartbeat_waits_for_it_and_still_records_the_stop() throws Exception {
        CountDownLatch inHeartbeat = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        NodeStore slow = new NodeStore(h.f.ds) {
            @Override
            public Ownership heartbeat(String nodeId) {
                inHeartbeat.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.heartbeat(nodeId);
            }
        };
        QueueStores s = h.f.stores;
        h.configure(b -> b.stores(new QueueStores(s.claims(), s.finishes(), s.control(), slow, s.audit(), s.events())));
        h.start("n1");
        Thread beat = new Thread(() -> h.node().lease().heartbeat(), "test-heartbeat");
        beat.start();
        assertThat(inHeartbeat.await(30, TimeUnit.SECONDS)).isTrue();
        Thread stop = new Thread(h::stopNode, "test-stop");
        stop.start();
        // the stop either waits for the heartbeat in flight or (the race) has already recorded the stop
        await().atMost(WAIT).until(() -> stop.getState() == Thread.State.BLOCKED
                || stop.getState() == Thread.State.TERMINATED);

        release.countDown();
        beat.join(WAIT.toMillis());
        stop.join(WAIT.toMillis());

        assertThat(stop.isAlive()).isFalse();
        assertThat(stoppedNodes("n1")).as("stopped_at recorded and kept").isEqualTo(1);
    }
}
