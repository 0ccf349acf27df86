package dev.orchestrator.domain.access;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * One configured token: its name (who, in the audit trail and {@code submitted_by}), the SHA-256
 * of its secret, the roles it was granted, its repo scope, and where it was configured. The
 * secret itself is never kept.
 */
public record ApiToken(String name, byte[] sha256, Set<Role> granted, RepoScope repos, String source) {
    public ApiToken {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("a SHA-256 hash has 32 bytes");
        }
        sha256 = sha256.clone();
        granted = Set.copyOf(granted);
    }

    /** Granted roles with the included ones. */
    public Set<Role> roles() {
        return Role.closure(granted);
    }

    public Caller caller(String address) {
        return new Caller(name, roles(), repos, address);
    }

    public String sha256Hex() {
        return HexFormat.of().formatHex(sha256);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiToken t && name.equals(t.name) && Arrays.equals(sha256, t.sha256)
                && granted.equals(t.granted) && repos.equals(t.repos) && source.equals(t.source);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "ApiToken[" + name + ", roles " + granted + ", repos " + repos.patterns() + ", from " + source + "]";
    }
}
