package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.store.Sql.Params;
import dev.orchestrator.store.Sql.TextArray;
import dev.orchestrator.testing.QueueFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Not a test of speed (nothing here asserts a time): the measurement behind ADR 0009's table. Builds
 * each backlog of issue 10 on the test PostgreSQL and prints {@code EXPLAIN (ANALYZE, BUFFERS)}
 * figures of the claim as it was before V6 and as it is now, in the same run, on the same rows. It
 * does check that both claims take the one eligible job. Run it alone:
 * {@code mvn -o test -Dtest=ClaimBacklogMeasurement -Dorch.measure=true}; the plans go to
 * {@code target/claim-plans/}.
 */
@EnabledIfSystemProperty(named = "orch.measure", matches = "true")
class ClaimBacklogMeasurement {
    /** The claim before V6: the walk of every queued job in claim order (kept here to compare). */
    static final String CLAIM_NEXT_BEFORE = """
            UPDATE jobs j
               SET status = 'running', run_id = NULL, pid = NULL, finished_at = NULL,
                   started_at = :now, claimed_by = :node, updated_at = :now
             WHERE j.id = (SELECT q.id FROM jobs q
                            WHERE q.status = 'queued' AND {claimable}
                            ORDER BY q.priority DESC, q.id
                            LIMIT 1
                            FOR UPDATE SKIP LOCKED)
               AND NOT {capacity_full}
            RETURNING j.id
            """;
    /** The claim now (dependency gate on). */
    static final String CLAIM_NEXT_NOW = ClaimStore.CLAIM_NEXT_TEMPLATE.replace("{lane_scope}", ClaimStore.READY_LANES);

    private static final int RUNS = 5;
    private static final String RUNNING = "INSERT INTO jobs (agent, repo, status, available_at, created_at, updated_at,"
            + " started_at, claimed_by) ";
    private static final String QUEUED = "INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) ";

    private record Scenario(String name, String eligibleRepo, Set<String> saturated, List<String> sql) {
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("no backlog", "free", Set.of(), List.of(
                    QUEUED + "VALUES ('a', 'free', now() - interval '1 hour', now(), now())")),
            new Scenario("serial: 100,000 queued of one busy repo", "free", Set.of(), List.of(
                    RUNNING + "VALUES ('a', 'busy', 'running', now(), now(), now(), now(), 'n')",
                    QUEUED + "SELECT 'a', 'busy', now() - interval '1 hour', now(), now() FROM generate_series(1, 100000)",
                    QUEUED + "VALUES ('a', 'free', now() - interval '1 hour', now(), now())")),
            new Scenario("deps: 100,000 queued (100 repos) waiting on one running job", "free", Set.of(), List.of(
                    RUNNING + "VALUES ('a', 'dep', 'running', now(), now(), now(), now(), 'n')",
                    QUEUED + "SELECT 'a', 'r' || (g % 100), now() - interval '1 hour', now(), now()"
                            + " FROM generate_series(1, 100000) g",
                    "INSERT INTO job_dependencies (job_id, depends_on) SELECT id, 1 FROM jobs WHERE id > 1",
                    QUEUED + "VALUES ('a', 'free', now() - interval '1 hour', now(), now())")),
            new Scenario("agent limit: 100,000 queued (100 repos) of an agent at its limit", "free", Set.of("slow"),
                    List.of(RUNNING + "VALUES ('slow', 'x', 'running', now(), now(), now(), now(), 'n')",
                            QUEUED + "SELECT 'slow', 'r' || (g % 100), now() - interval '1 hour', now(), now()"
                                    + " FROM generate_series(1, 100000) g",
                            QUEUED + "VALUES ('quick', 'free', now() - interval '1 hour', now(), now())")),
            new Scenario("1,000,000 queued over 10,000 repos (agent limit, deps, 8 busy repos)", "r5000",
                    Set.of("slow"), List.of(
                    RUNNING + "SELECT CASE WHEN g < 4 THEN 'slow' ELSE 'quick' END, 'r' || g, 'running', now(), now(),"
                            + " now(), now(), 'n' FROM generate_series(0, 7) g",
                    QUEUED + "SELECT CASE WHEN g % 2 = 0 THEN 'slow' ELSE 'quick' END, 'r' || (g % 10000),"
                            + " now() - interval '1 hour', now(), now() FROM generate_series(1, 1000000) g",
                    "INSERT INTO job_dependencies (job_id, depends_on) SELECT id, 8 FROM jobs"
                            + " WHERE status = 'queued' AND agent = 'quick'",
                    QUEUED + "VALUES ('quick', 'r5000', now() - interval '1 hour', now(), now())")));

    @Test
    void measure_the_claim_behind_each_backlog() throws Exception {
        QueueFixture f = new QueueFixture();
        Path plans = Files.createDirectories(Path.of("target", "claim-plans"));
        ClaimPolicy policy = new ClaimPolicy(16, true, true, Map.of("slow", 1));
        List<String> table = new ArrayList<>();
        table.add("| backlog | before: ms (min / median of " + RUNS + "), rows filtered | after: ms, rows filtered |");
        table.add("|---|---|---|");
        for (Scenario s : SCENARIOS) {
            f.db.reset();
            long t0 = System.nanoTime();
            try (Connection c = f.ds.getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(false); // as an enqueue: the jobs and their dependencies in one transaction
                for (String sql : s.sql()) {
                    st.execute(sql);
                }
                c.commit();
                c.setAutoCommit(true);
                st.execute("VACUUM ANALYZE jobs");
                st.execute("VACUUM ANALYZE claim_lanes");
                st.execute("VACUUM ANALYZE job_dependencies");
            }
            System.out.printf("%s: built in %d s%n", s.name(), (System.nanoTime() - t0) / 1_000_000_000L);
            Instant now = Instant.now();
            Params params = Params.of("now", now, "serial_gate", true, "deps_gate", true,
                    "saturated_agents", new TextArray(s.saturated()), "max_concurrency", policy.maxConcurrency(),
                    "node", "n");
            Figures before = explain(f, CLAIM_NEXT_BEFORE, params, now, s, plans.resolve(slug(s) + "-before.txt"));
            Figures after = explain(f, CLAIM_NEXT_NOW, params, now, s, plans.resolve(slug(s) + "-after.txt"));
            String row = String.format("| %s | %.2f / %.2f, %d | %.3f / %.3f, %d |", s.name(), before.min(),
                    before.median(), before.filtered(), after.min(), after.median(), after.filtered());
            System.out.println(row);
            table.add(row);
        }
        Files.write(plans.resolve("table.md"), table);
        table.forEach(System.out::println);
    }

    private record Figures(double min, double median, long filtered) {
    }

    private static String slug(Scenario s) {
        return s.name().replaceAll("[^a-z0-9]+", "-").replaceAll("-+$", "");
    }

    private static final Pattern EXECUTION = Pattern.compile("Execution Time: ([0-9.]+) ms");
    private static final Pattern FILTERED = Pattern.compile("Rows Removed by Filter: ([0-9]+)");

    /** Runs the statement under EXPLAIN (ANALYZE, BUFFERS) RUNS times, each rolled back. */
    private static Figures explain(QueueFixture f, String claim, Params params, Instant now, Scenario s, Path planFile)
            throws SQLException {
        Sql explained = Sql.of("EXPLAIN (ANALYZE, BUFFERS) " + claim);
        List<Double> times = new ArrayList<>();
        long filtered = 0;
        String lastPlan = "";
        try (Connection c = f.ds.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < RUNS; i++) {
                try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(1)")) {
                    lock.execute();
                }
                StringBuilder plan = new StringBuilder();
                long maxFiltered = 0;
                boolean claimedEligible = false;
                try (PreparedStatement ps = explained.prepare(c, params); ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String line = rs.getString(1);
                        plan.append(line).append('\n');
                        Matcher m = EXECUTION.matcher(line);
                        if (m.find()) {
                            times.add(Double.parseDouble(m.group(1)));
                        }
                        Matcher r = FILTERED.matcher(line);
                        if (r.find()) {
                            maxFiltered = Math.max(maxFiltered, Long.parseLong(r.group(1)));
                        }
                    }
                }
                try (PreparedStatement check = c.prepareStatement(
                        "SELECT count(*) FROM jobs WHERE status = 'running' AND repo = ? AND claimed_by = 'n'"
                                + " AND started_at = ?")) {
                    check.setString(1, s.eligibleRepo());
                    check.setObject(2, java.time.OffsetDateTime.ofInstant(now,
                            java.time.ZoneOffset.UTC));
                    try (ResultSet rs = check.executeQuery()) {
                        rs.next();
                        claimedEligible = rs.getLong(1) == 1;
                    }
                }
                c.rollback();
                assertThat(claimedEligible).as(s.name() + ": the claim took the eligible job\n" + plan).isTrue();
                filtered = maxFiltered;
                lastPlan = plan.toString();
            }
        }
        try {
            Files.writeString(planFile, lastPlan);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Double> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        return new Figures(sorted.get(0), sorted.get(sorted.size() / 2), filtered);
    }
}
