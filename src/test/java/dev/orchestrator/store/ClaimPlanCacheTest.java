package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The claim's transaction runs its prepared statements on generic plans (ClaimStore.LOCK_CLAIMS):
 * without it PostgreSQL planned the lane walk on every claim behind a backlog, 1.2–1.9 ms of planning
 * for 0.3–0.5 ms of execution. Read from the server's own record of the connection's prepared
 * statements ({@code pg_prepared_statements.custom_plans}), on a pool of one connection so that every
 * claim runs on the connection that is asked; and the setting ends with the transaction.
 */
class ClaimPlanCacheTest {
    private static final ClaimStore.LogFiles LOGS = (job, run) -> Path.of("/tmp/orch-test-runs", "" + job, "" + run,
            "output.log");

    private QueueFixture f;
    private HikariDataSource one;
    private ClaimStore claims;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
        HikariConfig cfg = new HikariConfig();
        cfg.setJdbcUrl(f.db.jdbcUrl());
        cfg.setUsername(f.db.user());
        cfg.setPassword(f.db.password());
        cfg.setMaximumPoolSize(1);
        one = new HikariDataSource(cfg);
        claims = new ClaimStore(one);
    }

    @AfterEach
    void tearDown() {
        one.close();
    }

    @Test
    void the_lane_walk_is_never_planned_afresh_once_prepared_and_the_setting_ends_with_the_transaction()
            throws Exception {
        ClaimPolicy gates = new ClaimPolicy(100, true, true, Map.of());
        // a backlog the walk must pass: a busy repo's queued jobs ahead of each eligible one
        TestJobs.running(f.ds, "other-node", f.clock.instant()).repo("busy").insert();
        for (int i = 0; i < 50; i++) {
            f.job().repo("busy").priority(10).insert();
        }
        for (int i = 0; i < 12; i++) {
            f.job().repo("free-" + i).insert();
        }
        for (int i = 0; i < 12; i++) {
            assertThat(claims.claimAndAttach(f.node, f.clock.instant(), gates, 1, LOGS)).hasSize(1);
        }

        try (Connection c = one.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("""
                    SELECT generic_plans, custom_plans FROM pg_prepared_statements
                     WHERE statement LIKE '%WITH RECURSIVE walk%'""")) {
                assertThat(rs.next()).as("the walk is a server-side prepared statement by now").isTrue();
                assertThat(rs.getLong("custom_plans")).as("custom plans of the walk").isZero();
                assertThat(rs.getLong("generic_plans")).as("generic plans of the walk").isPositive();
            }
            try (ResultSet rs = s.executeQuery("SHOW plan_cache_mode")) {
                rs.next();
                assertThat(rs.getString(1)).as("after the claim's transaction").isEqualTo("auto");
            }
        }
    }
}
