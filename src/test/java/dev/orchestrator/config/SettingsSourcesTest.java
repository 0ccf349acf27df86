package dev.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the server's settings come from (environment first, then MicroProfile Config) and where relative paths may point. */
class SettingsSourcesTest {
    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> mpConfig = new HashMap<>();
    private final Function<String, Optional<String>> mp = k -> Optional.ofNullable(mpConfig.get(k));

    private Settings settings() {
        return new Settings(Settings.environmentFirst(env, mp));
    }

    @Test
    void the_environment_wins_over_microprofile_config_which_fills_in_what_the_environment_lacks() {
        env.put("ORCH_MAX_CONCURRENCY", "3");
        mpConfig.put("ORCH_MAX_CONCURRENCY", "7");
        mpConfig.put("ORCH_NODE_NAME", "from-jvm-option");
        assertThat(settings().integer("ORCH_MAX_CONCURRENCY", 1, 1, 100)).isEqualTo(3);
        assertThat(settings().string("ORCH_NODE_NAME", "default")).isEqualTo("from-jvm-option");
        assertThat(settings().string("ORCH_RETENTION_DAYS", "14")).isEqualTo("14");
    }

    @Test
    void an_empty_environment_variable_gives_way_to_microprofile_config_and_else_stays_empty() {
        env.put("ORCH_DB_PASSWORD", "");
        assertThat(settings().present("ORCH_DB_PASSWORD")).contains("");
        mpConfig.put("ORCH_DB_PASSWORD", "from-alias");
        assertThat(settings().present("ORCH_DB_PASSWORD")).contains("from-alias");
    }

    @Test
    void database_settings_may_come_from_microprofile_config_alone() {
        mpConfig.put("ORCH_DB_URL", "jdbc:postgresql://db/orch");
        mpConfig.put("ORCH_DB_USER", "orch");
        mpConfig.put("ORCH_DB_PASSWORD", "s3cret");
        DatabaseSettings db = DatabaseSettings.from(settings());
        assertThat(db.url()).isEqualTo("jdbc:postgresql://db/orch");
        assertThat(db.password()).isEqualTo("s3cret");
        assertThat(db.toString()).doesNotContain("s3cret");
        assertThatCode(() -> db.requireSameAs(mp)).doesNotThrowAnyException();
    }

    @Test
    void a_missing_database_setting_is_named_whatever_the_source() {
        mpConfig.put("ORCH_DB_URL", "jdbc:postgresql://db/orch");
        assertThatThrownBy(() -> DatabaseSettings.from(settings())).hasMessageStartingWith("ORCH_DB_USER is not set");
        env.put("ORCH_DB_USER", "orch");
        assertThatThrownBy(() -> DatabaseSettings.from(settings())).hasMessageStartingWith("ORCH_DB_PASSWORD is not set")
                .hasMessageContaining("password alias");
    }

    @Test
    void the_container_pool_seeing_other_database_values_than_the_queue_pool_is_refused_without_showing_passwords() {
        env.putAll(Map.of("ORCH_DB_URL", "jdbc:postgresql://env/orch", "ORCH_DB_USER", "orch",
                "ORCH_DB_PASSWORD", "env-secret"));
        DatabaseSettings db = DatabaseSettings.from(settings());
        Map<String, String> container = new HashMap<>(env); // what MicroProfile Config resolves, system properties first
        assertThatCode(() -> db.requireSameAs(k -> Optional.ofNullable(container.get(k)))).doesNotThrowAnyException();

        container.put("ORCH_DB_URL", "jdbc:postgresql://jvm-option/orch");
        assertThatThrownBy(() -> db.requireSameAs(k -> Optional.ofNullable(container.get(k))))
                .hasMessageStartingWith("ORCH_DB_URL is set in the environment (jdbc:postgresql://env/orch) and "
                        + "differently in MicroProfile Config (jdbc:postgresql://jvm-option/orch)");
        container.put("ORCH_DB_URL", "jdbc:postgresql://env/orch");
        container.put("ORCH_DB_PASSWORD", "jvm-secret");
        assertThatThrownBy(() -> db.requireSameAs(k -> Optional.ofNullable(container.get(k))))
                .hasMessageStartingWith("ORCH_DB_PASSWORD is set in the environment and differently")
                .message().doesNotContain("secret");
    }

    @Test
    void an_empty_password_matches_microprofile_config_seeing_none() {
        env.putAll(Map.of("ORCH_DB_URL", "jdbc:postgresql://env/orch", "ORCH_DB_USER", "orch", "ORCH_DB_PASSWORD", ""));
        DatabaseSettings db = DatabaseSettings.from(settings());
        assertThatCode(() -> db.requireSameAs(k -> Optional.ofNullable(env.get(k)).filter(v -> !v.isEmpty())))
                .doesNotThrowAnyException();
    }

    @Test
    void relative_paths_are_refused_inside_the_servers_instance_directory(@TempDir Path dir) throws Exception {
        Path domain = Files.createDirectories(dir.resolve("domains/domain1"));
        Path config = Files.createDirectories(domain.resolve("config"));
        Optional<String> refusal = WorkingDirectory.relativePathRefusal(config, domain.toString());
        assertThat(refusal).hasValueSatisfying(r -> assertThat(r).contains("com.sun.aas.instanceRoot="));
        Settings s = settings().refusingRelativePaths(refusal.get());

        assertThatThrownBy(() -> s.path("ORCH_DATA_DIR", Path.of("data")))
                .hasMessageStartingWith("ORCH_DATA_DIR is not set and its default 'data' is a relative path, and the "
                        + "working directory")
                .hasMessageEndingWith("set ORCH_DATA_DIR to an absolute path");
        env.put("ORCH_AGENTS_FILE", "agents.json");
        assertThatThrownBy(() -> s.requiredPath("ORCH_AGENTS_FILE", "hint"))
                .hasMessageStartingWith("ORCH_AGENTS_FILE='agents.json' is a relative path");
        env.put("ORCH_DATA_DIR", dir.resolve("data").toString());
        assertThat(s.path("ORCH_DATA_DIR", Path.of("data"))).isEqualTo(dir.resolve("data"));
    }

    @Test
    void relative_paths_stay_relative_to_the_working_directory_elsewhere(@TempDir Path dir) throws Exception {
        Path project = Files.createDirectories(dir.resolve("project"));
        Path microRuntime = Files.createDirectories(dir.resolve("payaramicro-rt1"));
        assertThat(WorkingDirectory.relativePathRefusal(project, microRuntime.toString())).isEmpty();
        assertThat(WorkingDirectory.relativePathRefusal(project, null)).isEmpty();
        assertThat(settings().path("ORCH_DATA_DIR", Path.of("data"))).isEqualTo(Path.of("data").toAbsolutePath());
    }
}
