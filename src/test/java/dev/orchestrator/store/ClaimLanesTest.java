package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TextArray;
import dev.orchestrator.testing.JobRow;
import dev.orchestrator.testing.QueueFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The claim's bookkeeping of V6 (ADR 0009) on real PostgreSQL: deps_pending follows every writer,
 * lane rows cover every queued job, the claim reads lanes rather than gated jobs, stale lane rows
 * are compacted, and a writer that bypassed the triggers is healed instead of wedging the queue.
 */
class ClaimLanesTest {
    private static final ClaimPolicy ALL_GATES = new ClaimPolicy(16, true, true, Map.of("slow", 1));

    private QueueFixture f;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
    }

    private long depsPending(long id) {
        return f.db.count("SELECT deps_pending FROM jobs WHERE id = " + id);
    }

    @Test
    void deps_pending_counts_unfinished_dependencies_through_every_writer() {
        long dep = f.job().repo("d").insert();
        long other = f.job().repo("o").status("done").finishedAt(f.clock.instant()).insert();
        long dependant = f.job().repo("x").insert();
        f.db.execute("INSERT INTO job_dependencies (job_id, depends_on) VALUES (" + dependant + ", " + dep + "), ("
                + dependant + ", " + other + ")");
        assertThat(depsPending(dependant)).as("one of two dependencies not done").isEqualTo(1);

        ClaimedJob running = f.claim(ALL_GATES).orElseThrow();
        assertThat(running.id()).isEqualTo(dep);
        RunStart run = f.claims.attachRun(running, f.node, f.clock.instant(), id -> Path.of("/tmp", "" + id, "o.log"))
                .orElseThrow();
        f.finishes.finishDone(dep, run.runId(), 0, f.clock.instant());
        assertThat(depsPending(dependant)).as("the guarded finish counts down").isZero();

        f.db.execute("UPDATE jobs SET status = 'queued', finished_at = NULL, run_id = NULL, pid = NULL,"
                + " started_at = NULL, claimed_by = NULL WHERE id = " + other);
        assertThat(depsPending(dependant)).as("operator SQL moving a job away from done counts up").isEqualTo(1);
        assertThat(f.claim(ALL_GATES).map(ClaimedJob::id)).as("the dependant waits again").contains(other);

        f.db.execute("DELETE FROM job_dependencies WHERE job_id = " + dependant + " AND depends_on = " + other);
        assertThat(depsPending(dependant)).as("an edge removed while its dependency runs").isZero();
        TestStatements.assertClaimBookkeepingExact(f.ds, "after every writer");
        assertThat(f.claim(ALL_GATES).map(ClaimedJob::id)).contains(dependant);
    }

    @Test
    void stale_lane_rows_are_compacted_so_a_drained_lane_costs_nothing() {
        for (int i = 0; i < 50; i++) {
            f.job().repo("r" + (i % 5)).insert();
        }
        ClaimPolicy capacity = new ClaimPolicy(1000, false, true, Map.of());
        for (int i = 0; i < 50; i++) {
            assertThat(f.claim(capacity)).isPresent();
            assertThat(f.db.count("SELECT count(*) FROM claim_lanes")).as("after claim %d", i).isLessThanOrEqualTo(5);
        }
        assertThat(f.claim(capacity)).isEmpty();
        assertThat(f.db.count("SELECT count(*) FROM claim_lanes")).as("an empty queue keeps no lane row").isZero();
    }

    @Test
    void a_lane_row_locked_by_a_writer_in_flight_is_not_compacted_and_its_job_stays_claimable() throws Exception {
        long first = f.job().repo("a").insert();
        long back = f.job().repo("a").status("running").claimedBy("other").startedAt(f.clock.instant()).insert();
        try (Connection writer = f.ds.getConnection()) {
            writer.setAutoCommit(false);
            // a requeue in flight: its trigger found the row at `first` covering `back` and relies on it
            try (Statement st = writer.createStatement()) {
                st.executeUpdate("UPDATE jobs SET status = 'queued', run_id = NULL, pid = NULL, started_at = NULL,"
                        + " claimed_by = NULL WHERE id = " + back);
            }
            // a claim now takes `first` and must not remove that row while `back` is invisible to it
            assertThat(f.claim(TestStatements.capacityOnly(10)).map(ClaimedJob::id)).contains(first);
            writer.commit();
            assertThat(f.claim(TestStatements.capacityOnly(10)).map(ClaimedJob::id)).as("the requeued job")
                    .contains(back);
        }
        TestStatements.assertClaimBookkeepingExact(f.ds, "after the race");
    }

    private static final Pattern FILTERED = Pattern.compile("Rows Removed by Filter: ([0-9]+)");

    /**
     * The property the lanes exist for, read from the plan rather than a clock: behind 3,000 jobs
     * held by each gate, the claim filters a handful of rows, not thousands.
     */
    @Test
    void behind_thousands_of_gated_jobs_the_claim_filters_lanes_not_jobs() throws Exception {
        try (Connection c = f.ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at, started_at,"
                    + " claimed_by) VALUES ('a', 'busy', 'running', now(), now(), now(), now(), 'n'),"
                    + " ('slow', 'x', 'running', now(), now(), now(), now(), 'n')");
            st.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at)"
                    + " SELECT 'a', 'busy', " + f.pastLiteral() + ", now(), now() FROM generate_series(1, 3000)");
            st.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at)"
                    + " SELECT 'slow', 's' || (g % 10), " + f.pastLiteral() + ", now(), now()"
                    + " FROM generate_series(1, 3000) g");
            st.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at)"
                    + " SELECT 'a', 'w' || (g % 10), " + f.pastLiteral() + ", now(), now()"
                    + " FROM generate_series(1, 3000) g");
            st.execute("INSERT INTO job_dependencies (job_id, depends_on)"
                    + " SELECT id, 1 FROM jobs WHERE repo LIKE 'w%'");
            st.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at)"
                    + " VALUES ('a', 'free', " + f.pastLiteral() + ", now(), now())");
            st.execute("ANALYZE jobs");
        }
        long eligible = f.db.count("SELECT id FROM jobs WHERE repo = 'free'");
        Sql explained = Sql.of("EXPLAIN (ANALYZE) " + ClaimStore.CLAIM_NEXT_TEMPLATE.replace("{lane_scope}",
                ClaimStore.READY_LANES));
        long maxFiltered = 0;
        StringBuilder plan = new StringBuilder();
        try (Connection c = f.ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = explained.prepare(c, Params.of("now", f.clock.instant(), "serial_gate", true,
                    "deps_gate", true, "saturated_agents", new TextArray(Set.of("slow")), "max_concurrency", 16,
                    "node", "n")); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                    Matcher m = FILTERED.matcher(rs.getString(1));
                    if (m.find()) {
                        maxFiltered = Math.max(maxFiltered, Long.parseLong(m.group(1)));
                    }
                }
            }
            assertThat(f.db.count("SELECT count(*) FROM jobs WHERE status = 'running'")).isEqualTo(2);
            c.rollback();
        }
        assertThat(maxFiltered).as("rows filtered by any node of the claim\n" + plan).isLessThan(30);
        assertThat(f.claim(ALL_GATES).map(ClaimedJob::id)).contains(eligible);
    }

    @Test
    void a_job_written_past_the_triggers_is_healed_instead_of_wedging_the_queue() throws Exception {
        long held = f.job().repo("h").insert();
        try (Connection c = f.ds.getConnection(); Statement st = c.createStatement()) {
            // a restore or an operator with the triggers off: no lane row, a count that is too high
            st.execute("SET session_replication_role = replica");
            st.execute("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at)"
                    + " VALUES ('agent', 'ghost', " + f.pastLiteral() + ", now(), now())");
            st.execute("UPDATE jobs SET deps_pending = 3 WHERE id = " + held);
            st.execute("SET session_replication_role = DEFAULT");
        }
        long ghost = f.db.count("SELECT id FROM jobs WHERE repo = 'ghost'");
        assertThat(f.claim(ALL_GATES)).as("the bookkeeping hides both jobs").isEmpty();

        assertThat(f.claims.healClaimBookkeeping()).containsExactlyInAnyOrder(held, ghost);
        assertThat(f.claims.healClaimBookkeeping()).as("nothing left to heal").isEmpty();
        TestStatements.assertClaimBookkeepingExact(f.ds, "healed");
        assertThat(f.claim(ALL_GATES).map(ClaimedJob::id)).contains(held);
        assertThat(f.claim(ALL_GATES).map(ClaimedJob::id)).contains(ghost);
        assertThat(JobRow.read(f.ds, held).status()).isEqualTo("running");
    }
}
