package dev.orchestrator.domain.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessTest {
    @Test
    void each_role_includes_the_ones_below_it_and_no_more() {
        assertThat(Role.READ.withIncluded()).containsExactly(Role.READ);
        assertThat(Role.SUBMIT.withIncluded()).containsExactly(Role.READ, Role.SUBMIT);
        assertThat(Role.OPERATE.withIncluded()).containsExactly(Role.READ, Role.SUBMIT, Role.OPERATE);
        assertThat(Role.closure(Set.of(Role.ADMIN))).containsExactlyInAnyOrder(Role.values());
        assertThat(Role.closure(Set.of(Role.READ, Role.SUBMIT))).doesNotContain(Role.OPERATE, Role.ADMIN);
        assertThat(Role.parse("operate")).contains(Role.OPERATE);
        assertThat(Role.parse("OPERATE")).isEmpty();
        assertThat(Role.parse("root")).isEmpty();
    }

    @Test
    void repo_patterns_match_whole_names_with_star_as_any_run_of_characters() {
        RepoScope scope = new RepoScope(List.of("team-a-*", "docs", "*-mirror"));
        assertThat(scope.allows("team-a-web")).isTrue();
        assertThat(scope.allows("team-a-")).isTrue();
        assertThat(scope.allows("docs")).isTrue();
        assertThat(scope.allows("x-mirror")).isTrue();
        assertThat(scope.allows("team-b-web")).isFalse();
        assertThat(scope.allows("docs2")).isFalse();
        assertThat(scope.allows("my-docs")).isFalse();
        assertThat(scope.allows("mirror")).isFalse();
        assertThat(scope.allows(null)).isFalse();
        assertThat(RepoScope.all().allows("anything")).isTrue();
        assertThat(RepoScope.matches("a*b*c", "axxbyyc")).isTrue();
        assertThat(RepoScope.matches("a*b*c", "axxbyy")).isFalse();
        assertThat(RepoScope.matches("**", "")).isTrue();
    }

    @Test
    void repo_patterns_become_like_patterns_that_take_underscore_and_percent_literally() {
        assertThat(new RepoScope(List.of("a_b*", "c.d")).likePatterns()).containsExactly("a\\_b%", "c.d");
    }

    @Test
    void a_bad_repo_pattern_is_refused() {
        assertThat(RepoScope.problem("a/b")).isNotNull();
        assertThat(RepoScope.problem("")).isNotNull();
        assertThat(RepoScope.problem("ok-*")).isNull();
        assertThatThrownBy(() -> new RepoScope(List.of("../x"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_token_is_found_by_its_secret_and_never_by_a_near_miss() {
        ApiToken ci = token("ci", "secret-of-ci-0123456789", Role.SUBMIT);
        ApiToken ops = token("ops", "secret-of-ops-0123456789", Role.OPERATE);
        TokenRegistry registry = new TokenRegistry(List.of(ci, ops));
        assertThat(registry.authenticate("secret-of-ops-0123456789")).contains(ops);
        assertThat(registry.authenticate("secret-of-ci-0123456789")).contains(ci);
        assertThat(registry.authenticate("secret-of-ops-012345678")).isEmpty();
        assertThat(registry.authenticate("")).isEmpty();
        assertThat(registry.authenticate(null)).isEmpty();
        assertThat(ops.caller("10.0.0.1").roles()).containsExactlyInAnyOrder(Role.READ, Role.SUBMIT, Role.OPERATE);
    }

    @Test
    void two_tokens_with_one_name_or_one_secret_are_refused() {
        assertThatThrownBy(() -> new TokenRegistry(List.of(token("a", "s1-0123456789abcdef", Role.READ),
                token("a", "s2-0123456789abcdef", Role.READ)))).hasMessageContaining("two tokens are named 'a'");
        assertThatThrownBy(() -> new TokenRegistry(List.of(token("a", "same-0123456789abcdef", Role.READ),
                token("b", "same-0123456789abcdef", Role.ADMIN)))).hasMessageContaining("same secret");
    }

    @Test
    void a_token_shows_no_secret_in_its_text() {
        assertThat(token("ci", "secret-of-ci-0123456789", Role.READ).toString()).doesNotContain("secret");
    }

    static ApiToken token(String name, String secret, Role role) {
        return new ApiToken(name, TokenRegistry.sha256(secret), EnumSet.of(role), RepoScope.all(), "test");
    }
}
