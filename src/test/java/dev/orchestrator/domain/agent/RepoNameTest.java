package dev.orchestrator.domain.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RepoNameTest {
    @ParameterizedTest
    @ValueSource(strings = {"orchestrator", "my-repo", "repo_2", "a.b", "A1"})
    void accepts_plain_directory_names(String name) {
        Path root = Path.of("/srv/repos");
        assertThat(new RepoName(name).resolveUnder(root)).isEqualTo(root.resolve(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "..", ".", "../etc", "a/b", "/etc", ".hidden", "-rf", "a..b", "a b", "a\\b",
            "répo", "a\u0000b"})
    void refuses_anything_that_could_leave_the_repos_directory_or_surprise_a_shell(String name) {
        assertThat(RepoName.problem(name)).isNotNull();
        assertThatThrownBy(() -> new RepoName(name)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 129})
    void limits_the_length(int length) {
        String name = "a".repeat(length);
        assertThat(RepoName.problem(name) == null).isEqualTo(length <= 128);
    }
}
