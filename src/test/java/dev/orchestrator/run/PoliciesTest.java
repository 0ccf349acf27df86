package dev.orchestrator.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.run.RunStart;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PoliciesTest {
    private final AgentDefinition agent = new AgentDefinition("a", List.of("x"), Duration.ofMinutes(1),
            Map.of("AGENT_K", "v", "PATH", "/agent/bin"), Set.of(75));

    @Test
    void exit_status_classification() {
        assertThat(ExitPolicy.classify(agent, 0, List.of(), List.of())).isEqualTo(ExitPolicy.SUCCEEDED);
        assertThat(ExitPolicy.classify(agent, 75, List.of(), List.of())).isEqualTo(ExitPolicy.TRANSIENT);
        assertThat(ExitPolicy.classify(agent, 1, List.of(), List.of())).isEqualTo(ExitPolicy.FAILED_ATTEMPT);
        assertThat(ExitPolicy.classify(agent, 137, List.of(), List.of())).isEqualTo(ExitPolicy.FAILED_ATTEMPT);
        assertThat(ExitPolicy.classify(null, 75, List.of(), List.of())).isEqualTo(ExitPolicy.FAILED_ATTEMPT);
    }

    @Test
    void transient_back_off_ceiling_doubles_from_the_base_up_to_the_cap() {
        BackoffPolicy b = new BackoffPolicy(Duration.ofSeconds(30), Duration.ofMinutes(10), () -> 1.0);
        assertThat(b.delayAfter(0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.delayAfter(1)).isEqualTo(Duration.ofSeconds(60));
        assertThat(b.delayAfter(4)).isEqualTo(Duration.ofSeconds(480));
        assertThat(b.delayAfter(5)).isEqualTo(Duration.ofMinutes(10));
        assertThat(b.delayAfter(500)).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void full_jitter_draws_the_delay_uniformly_below_the_ceiling() {
        double[] draws = {0.0, 0.25, 0.5, 0.999};
        int[] i = {0};
        BackoffPolicy b = new BackoffPolicy(Duration.ofSeconds(30), Duration.ofMinutes(10), () -> draws[i[0]++]);
        assertThat(b.delayAfter(2)).isEqualTo(Duration.ZERO);
        assertThat(b.delayAfter(2)).isEqualTo(Duration.ofSeconds(30));
        assertThat(b.delayAfter(2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(b.delayAfter(2)).isEqualTo(Duration.ofMillis(119_880));
        java.util.Random r = new java.util.Random(7);
        BackoffPolicy real = new BackoffPolicy(Duration.ofSeconds(30), Duration.ofMinutes(10), r::nextDouble);
        for (int n = 0; n < 1000; n++) {
            assertThat(real.delayAfter(3)).isBetween(Duration.ZERO, Duration.ofSeconds(240));
        }
    }

    @Test
    void output_patterns_make_a_non_zero_exit_transient() {
        java.util.List<String> patterns = new RetryRules(null, 10, java.util.List.of(" Rate Limit ", "overloaded"), 20)
                .transientPatterns();
        assertThat(ExitPolicy.classify(agent, 1, java.util.List.of("working", "Error: RATE LIMIT reached"),
                patterns)).isEqualTo(ExitPolicy.TRANSIENT);
        assertThat(ExitPolicy.classify(agent, 1, java.util.List.of("plain failure"), patterns))
                .isEqualTo(ExitPolicy.FAILED_ATTEMPT);
        assertThat(ExitPolicy.classify(agent, 0, java.util.List.of("overloaded"), patterns))
                .isEqualTo(ExitPolicy.SUCCEEDED);
    }

    @Test
    void the_agent_environment_never_carries_server_settings() {
        ClaimedJob job = new ClaimedJob(7, "a", "repo", "{}", 0, 1, 3, 0, Instant.EPOCH, "n");
        Map<String, String> env = RunEnvironment.build(
                Map.of("PATH", "/usr/bin", "HOME", "/root", "ORCH_DB_PASSWORD", "secret", "ORCH_API_TOKEN", "t"),
                agent, job, new RunStart(7, 11, 2, Path.of("/d")), Path.of("/d/payload.json"));
        assertThat(env).doesNotContainKeys("ORCH_DB_PASSWORD", "ORCH_API_TOKEN")
                .containsEntry("HOME", "/root")
                .containsEntry("PATH", "/agent/bin")
                .containsEntry("AGENT_K", "v")
                .containsEntry("ORCH_JOB_ID", "7")
                .containsEntry("ORCH_RUN_ID", "11")
                .containsEntry("ORCH_ATTEMPT", "2")
                .containsEntry("ORCH_REPO", "repo")
                .containsEntry("ORCH_PAYLOAD_FILE", "/d/payload.json");
    }
}
