package dev.orchestrator.domain.access;

import java.util.Set;

/**
 * Who a request acts as: a token's name (or {@code jmx:USER}), the roles it holds (included ones
 * added), the repos it may touch, and the client's address for the audit trail.
 */
public record Caller(String name, Set<Role> roles, RepoScope repos, String address) {
    public Caller {
        roles = Set.copyOf(roles);
    }

    /** The server acting on its own (tests, maintenance): every role, every repo. */
    public static Caller system(String name) {
        return new Caller(name, Role.ADMIN.withIncluded(), RepoScope.all(), null);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    public boolean mayTouch(String repo) {
        return repos.allows(repo);
    }
}
