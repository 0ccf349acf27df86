package dev.orchestrator.testing;

import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.store.ClaimStore;
import dev.orchestrator.store.ControlStore;
import dev.orchestrator.store.FinishStore;
import dev.orchestrator.store.LocalJpa;
import dev.orchestrator.store.NodeStore;
import dev.orchestrator.store.QueueStores;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/** Shared set-up of the database tests: a clean database, a store, a node identity and a clock. */
public class QueueFixture {
    public static final String QUEUED_OWNS_NO_RUN = """
            ALTER TABLE jobs ADD CONSTRAINT jobs_queued_owns_no_run CHECK (
                status <> 'queued'
                OR (run_id IS NULL AND pid IS NULL AND started_at IS NULL AND claimed_by IS NULL))""";

    public final TestDatabase db = TestDatabase.get();
    public final DataSource ds = db.dataSource();
    public final QueueStores stores = QueueStores.on(ds);
    public final ClaimStore claims = stores.claims();
    public final FinishStore finishes = stores.finishes();
    public final ControlStore control = stores.control();
    public final NodeStore nodes = stores.nodes();
    public final dev.orchestrator.store.AuditStore audit = stores.audit();
    public final dev.orchestrator.store.EventStore events = stores.events();
    public final MutableClock clock = MutableClock.at("2026-06-17T10:00:00Z");
    public final NodeIdentity node = new NodeIdentity("test-node:1:abc", "test-host", "boot-1", 1,
            Instant.parse("2026-06-17T09:00:00Z"), null);

    private static LocalJpa jpa;

    public QueueFixture() {
        db.reset();
    }

    /** The JPA repository on the test database (one persistence unit per test JVM). */
    public static synchronized LocalJpa jobs() {
        if (jpa == null) {
            jpa = new LocalJpa(TestDatabase.get().dataSource());
        }
        return jpa;
    }

    public TestJobs job() {
        return TestJobs.job(ds);
    }

    /** A running job claimed by this fixture's node with a run attached (run_id) and a pid. */
    public TestJobs runningWithRun(long runId, long pid) {
        return TestJobs.running(ds, node.id(), clock.instant().minusSeconds(60)).runId(runId).pid(pid);
    }

    /**
     * Runs {@code body} with the CHECK constraint jobs_queued_owns_no_run dropped, so that it can
     * seed exactly the impossible rows the sanitizer and the claim must cope with (rows written
     * before the constraint existed, restored backups, manual SQL). The constraint is restored
     * afterwards; rows still impossible then are deleted first so the restore cannot fail.
     */
    public void withQueuedOwnershipCheckLifted(Runnable body) {
        db.execute("ALTER TABLE jobs DROP CONSTRAINT jobs_queued_owns_no_run");
        try {
            body.run();
        } finally {
            db.execute("DELETE FROM jobs WHERE status = 'queued' AND (run_id IS NOT NULL OR pid IS NOT NULL "
                    + "OR started_at IS NOT NULL OR claimed_by IS NOT NULL)");
            db.execute(QUEUED_OWNS_NO_RUN);
        }
    }

    /** One claim by this fixture's node at the test clock's time. */
    public Optional<ClaimedJob> claim(ClaimPolicy policy) {
        return claims.claimNext(node.id(), clock.instant(), policy);
    }

    /** An hour before the test clock, as an SQL literal (the database's now() is not the test's time). */
    public String pastLiteral() {
        return "TIMESTAMPTZ '" + clock.instant().minusSeconds(3600) + "'";
    }
}
