package dev.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentsFileTest {
    @TempDir
    Path tmp;

    private AgentCatalog load(String json) throws Exception {
        return AgentsFile.load(Files.writeString(tmp.resolve("agents.json"), json));
    }

    @Test
    void reads_the_documented_format() throws Exception {
        AgentCatalog c = load("""
                {"agents": {"dev": {"command": ["claude", "-p"], "timeout_seconds": 120,
                                    "env": {"K": "V"}, "transient_exit_codes": [75, 76]},
                            "plain": {"command": ["/bin/true"]}}}""");
        AgentDefinition dev = c.find("dev").orElseThrow();
        assertThat(dev.command()).containsExactly("claude", "-p");
        assertThat(dev.timeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(dev.env()).containsEntry("K", "V");
        assertThat(dev.isTransient(75)).isTrue();
        assertThat(dev.isTransient(1)).isFalse();
        assertThat(c.find("plain").orElseThrow().timeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.names()).containsExactly("dev", "plain");
    }

    @Test
    void the_bundled_example_is_valid() {
        AgentCatalog c = AgentsFile.load(Path.of("server-config/agents.example.json"));
        assertThat(c.names()).contains("echo", "true");
    }

    @Test
    void errors_name_the_setting_the_file_and_the_offending_value() {
        List<String[]> cases = List.of(
                new String[] {"{\"agents\": {\"a\": {\"command\": []}}}", "agents.a.command"},
                new String[] {"{\"agents\": {\"a\": {\"command\": \"ls -l\"}}}", "agents.a.command"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"timeout\": 5}}}", "unknown key 'timeout'"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"timeout_seconds\": 0}}}",
                    "timeout_seconds"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"transient_exit_codes\": [0]}}}",
                    "transient_exit_codes"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"env\": {\"ORCH_DB_URL\": \"x\"}}}}",
                    "ORCH_* variables"},
                new String[] {"{\"agents\": {\"../x\": {\"command\": [\"x\"]}}}", "agent names"},
                new String[] {"{\"agent\": {}}", "top level"},
                new String[] {"{\"agents\": ", "malformed JSON"},
                // numbers that wrap to valid values through JsonNumber.longValue()/intValue()
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"timeout_seconds\": 18446744073709551617}}}",
                    "timeout_seconds"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"timeout_seconds\": 9223372036854775807}}}",
                    "timeout_seconds"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"max_concurrency\": 18446744073709551617}}}",
                    "max_concurrency"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"transient_exit_codes\": [4294967371]}}}",
                    "transient_exit_codes"},
                new String[] {"{\"agents\": {\"a\": {\"command\": [\"x\"], \"timeout_seconds\": 1.5}}}",
                    "timeout_seconds"});
        for (String[] c : cases) {
            assertThatThrownBy(() -> load(c[0])).as(c[0]).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("ORCH_AGENTS_FILE=")
                    .hasMessageContaining(c[1]);
        }
    }

    @Test
    void a_missing_file_is_named() {
        assertThatThrownBy(() -> AgentsFile.load(tmp.resolve("nope.json")))
                .hasMessageContaining("ORCH_AGENTS_FILE=").hasMessageContaining("no such file");
    }
}
