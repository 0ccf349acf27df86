package dev.orchestrator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.access.ApiToken;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.access.TokenRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiTokensFileTest {
    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>();

    private ApiTokensFile.Loaded load() {
        return ApiTokensFile.load(new Settings(n -> Optional.ofNullable(env.get(n))), dir.resolve("data"));
    }

    private static String sha(String secret) {
        return HexFormat.of().formatHex(TokenRegistry.sha256(secret));
    }

    private Path tokensFile(String json) throws Exception {
        Path f = dir.resolve("tokens.json");
        Files.writeString(f, json);
        env.put("ORCH_API_TOKENS_FILE", f.toString());
        return f;
    }

    @Test
    void a_tokens_file_gives_names_roles_and_repo_scopes_by_hash() throws Exception {
        tokensFile("{\"tokens\": [{\"name\": \"ci\", \"sha256\": \"" + sha("ci-secret-0123456789") + "\", "
                + "\"roles\": [\"submit\"], \"repos\": [\"team-a-*\"]},"
                + "{\"name\": \"ops\", \"sha256\": \"" + sha("ops-secret-0123456789").toUpperCase() + "\", "
                + "\"roles\": [\"operate\"]}]}");
        TokenRegistry r = load().registry();
        ApiToken ci = r.authenticate("ci-secret-0123456789").orElseThrow();
        assertThat(ci.name()).isEqualTo("ci");
        assertThat(ci.roles()).containsExactlyInAnyOrder(Role.READ, Role.SUBMIT);
        assertThat(ci.repos().allows("team-a-x")).isTrue();
        assertThat(ci.repos().allows("team-b")).isFalse();
        assertThat(r.authenticate("ops-secret-0123456789").orElseThrow().repos().unrestricted()).isTrue();
        assertThat(load().generatedFile()).isEmpty();
        assertThat(Files.exists(dir.resolve("data/admin-token"))).isFalse();
    }

    @Test
    void a_bare_array_is_accepted_and_the_environment_token_is_added_as_admin() throws Exception {
        tokensFile("[{\"name\": \"reader\", \"sha256\": \"" + sha("reader-secret-0123456789") + "\", \"roles\": [\"read\"]}]");
        env.put("ORCH_API_TOKEN", "env-admin-secret-0123456789");
        TokenRegistry r = load().registry();
        assertThat(r.tokens()).extracting(ApiToken::name).containsExactly("reader", "admin");
        assertThat(r.authenticate("env-admin-secret-0123456789").orElseThrow().roles()).contains(Role.ADMIN);
    }

    @Test
    void every_malformed_entry_fails_naming_the_file_and_the_entry() throws Exception {
        String ok = "\"sha256\": \"" + sha("x-secret-0123456789") + "\", \"roles\": [\"read\"]";
        List<String[]> cases = List.of(
                new String[] {"{\"tokens\": [{\"name\": \"a\", " + ok + ", \"role\": 1}]}", "tokens[0]: unknown key 'role'"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", \"sha256\": \"abc\", \"roles\": [\"read\"]}]}", "tokens[0] ('a'): sha256 must be"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", \"sha256\": \"" + sha("y-secret-0123456789") + "\", \"roles\": [\"root\"]}]}", "unknown role 'root'"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", \"sha256\": \"" + sha("y-secret-0123456789") + "\", \"roles\": []}]}", "'roles' must be a non-empty array"},
                new String[] {"{\"tokens\": [{\"name\": \"bad name\", " + ok + "}]}", "tokens[0]: name 'bad name' must match"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", " + ok + ", \"repos\": [\"../x\"]}]}", "repos: '../x'"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", " + ok + "}, {\"name\": \"a\", \"sha256\": \"" + sha("z-secret-0123456789") + "\", \"roles\": [\"read\"]}]}", "two tokens are named 'a'"},
                new String[] {"{\"tokens\": [{\"name\": \"a\", " + ok + "}, {\"name\": \"b\", " + ok + "}]}", "same secret"},
                new String[] {"{\"tokens\": [\"a\"]}", "tokens[0]: expected an object"},
                new String[] {"{\"tokenz\": []}", "expected {\"tokens\""},
                new String[] {"{\"tokens\": [", "malformed JSON"});
        for (String[] c : cases) {
            Path f = tokensFile(c[0]);
            assertThatThrownBy(this::load).as(c[0]).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("ORCH_API_TOKENS_FILE=" + f).hasMessageContaining(c[1]);
        }
        env.put("ORCH_API_TOKENS_FILE", dir.resolve("missing.json").toString());
        assertThatThrownBy(this::load).hasMessageContaining("missing.json: no such file");
    }

    @Test
    void a_short_environment_token_is_refused() {
        env.put("ORCH_API_TOKEN", "short");
        assertThatThrownBy(this::load).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("ORCH_API_TOKEN").hasMessageContaining("at least 16");
    }

    @Test
    void with_no_setting_the_first_start_generates_an_admin_token_readable_only_by_its_owner() throws Exception {
        ApiTokensFile.Loaded first = load();
        Path f = dir.resolve("data/admin-token");
        assertThat(first.generatedFile()).contains(f);
        assertThat(first.generatedNow()).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        String secret = Files.readString(f).trim();
        assertThat(secret).hasSizeGreaterThanOrEqualTo(40);
        assertThat(first.registry().authenticate(secret).orElseThrow().roles()).contains(Role.ADMIN);

        ApiTokensFile.Loaded second = load();
        assertThat(second.generatedNow()).isFalse();
        assertThat(second.registry().authenticate(secret)).isPresent();
        assertThat(Files.readString(f).trim()).isEqualTo(secret);
    }

    @Test
    void a_generated_token_file_that_others_can_read_is_refused() throws Exception {
        load();
        Path f = dir.resolve("data/admin-token");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(this::load).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("chmod 600 " + f);
    }
}
