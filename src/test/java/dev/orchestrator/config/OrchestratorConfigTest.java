package dev.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OrchestratorConfigTest {
    private final Map<String, String> values = new HashMap<>(Map.of("ORCH_AGENTS_FILE", "/etc/agents.json"));

    private OrchestratorConfig config() {
        return OrchestratorConfig.from(new Settings(k -> Optional.ofNullable(values.get(k))), "host-1");
    }

    @Test
    void defaults_follow_the_documentation() {
        OrchestratorConfig c = config();
        assertThat(c.maxConcurrency()).isEqualTo(1);
        assertThat(c.defaultMaxAttempts()).isEqualTo(3);
        assertThat(c.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.reposDir()).isEqualTo(c.dataDir().resolve("repos"));
        assertThat(c.runsDir()).isEqualTo(c.dataDir().resolve("runs"));
        assertThat(c.transientBackoffBase()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.transientBackoffMax()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.reaperEnabled()).isTrue();
        assertThat(c.impossibleQueuedSanitizeEnabled()).isTrue();
        assertThat(c.reaperInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.nodeName()).isEqualTo("host-1");
    }

    @Test
    void the_request_size_limit_defaults_to_2_mib_and_refuses_nonsense() {
        assertThat(config().maxRequestBytes()).isEqualTo(2_097_152);
        values.put("ORCH_MAX_REQUEST_BYTES", "65536");
        assertThat(config().maxRequestBytes()).isEqualTo(65_536);
        values.put("ORCH_MAX_REQUEST_BYTES", "2MB");
        assertThatThrownBy(this::config).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("ORCH_MAX_REQUEST_BYTES='2MB' is not a whole number");
        values.put("ORCH_MAX_REQUEST_BYTES", "100");
        assertThatThrownBy(this::config).hasMessageContaining("ORCH_MAX_REQUEST_BYTES=100 is out of range");
    }

    @Test
    void a_missing_agents_file_setting_is_named() {
        values.remove("ORCH_AGENTS_FILE");
        assertThatThrownBy(this::config).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("ORCH_AGENTS_FILE is not set");
    }

    @Test
    void nonsense_values_fail_with_the_setting_and_what_was_expected() {
        values.put("ORCH_MAX_CONCURRENCY", "zero");
        assertThatThrownBy(this::config).hasMessage(
                "ORCH_MAX_CONCURRENCY='zero' is not a whole number (expected 1..10000, default 1)");
        values.put("ORCH_MAX_CONCURRENCY", "0");
        assertThatThrownBy(this::config).hasMessageContaining("ORCH_MAX_CONCURRENCY=0 is out of range");
        values.put("ORCH_MAX_CONCURRENCY", "8");
        values.put("ORCH_REAPER_ENABLED", "maybe");
        assertThatThrownBy(this::config).hasMessageContaining("ORCH_REAPER_ENABLED='maybe' is not a boolean");
        values.put("ORCH_REAPER_ENABLED", "false");
        values.put("ORCH_TRANSIENT_BACKOFF_BASE_SECONDS", "600");
        values.put("ORCH_TRANSIENT_BACKOFF_MAX_SECONDS", "60");
        assertThatThrownBy(this::config).hasMessageContaining("ORCH_TRANSIENT_BACKOFF_MAX_SECONDS=60 is below");
    }

    @Test
    void transient_output_patterns_default_and_can_be_switched_off() {
        assertThat(config().transientOutputPatterns()).containsExactly("overloaded", "rate limit", "too many requests");
        values.put("ORCH_TRANSIENT_OUTPUT_PATTERNS", "none");
        assertThat(config().transientOutputPatterns()).isEmpty();
    }

    @Test
    void a_lease_too_short_to_fence_in_time_is_refused() {
        values.put("ORCH_NODE_HEARTBEAT_SECONDS", "10");
        values.put("ORCH_KILL_GRACE_SECONDS", "30");
        values.put("ORCH_NODE_LEASE_SECONDS", "99");
        assertThatThrownBy(this::config).hasMessageContaining("ORCH_NODE_LEASE_SECONDS=99 is too short")
                .hasMessageContaining("at least 2 x (heartbeat + kill grace) + 40 = 120");
        values.put("ORCH_NODE_LEASE_SECONDS", "120");
        assertThat(config().nodeLease()).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void database_settings_are_checked_before_any_connection() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of()))
                .hasMessageStartingWith("ORCH_DB_URL is not set");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("ORCH_DB_URL", "mysql://x")))
                .hasMessageContaining("is not a PostgreSQL JDBC URL");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("ORCH_DB_URL", "jdbc:postgresql://h/db")))
                .hasMessageStartingWith("ORCH_DB_USER is not set");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                Map.of("ORCH_DB_URL", "jdbc:postgresql://h/db", "ORCH_DB_USER", "u")))
                .hasMessageStartingWith("ORCH_DB_PASSWORD is not set");
        assertThat(DatabaseSettings.fromEnvironment(Map.of("ORCH_DB_URL", "jdbc:postgresql://h/db",
                "ORCH_DB_USER", "u", "ORCH_DB_PASSWORD", "")).user()).isEqualTo("u");
    }
}
