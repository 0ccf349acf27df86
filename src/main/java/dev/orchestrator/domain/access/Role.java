package dev.orchestrator.domain.access;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A role of the API. Each includes the ones before it: {@code submit} may read, {@code operate}
 * may submit, {@code admin} may do everything (the audit trail and the token list included).
 */
public enum Role {
    /** GET anything in scope. */
    READ,
    /** read, and enqueue jobs. */
    SUBMIT,
    /** submit, and cancel, retry, pause and resume. */
    OPERATE,
    /** everything, including the audit trail and the token list. */
    ADMIN;

    /** The names {@code @RolesAllowed} and {@code @DeclareRoles} use. */
    public static final String READ_NAME = "read";
    public static final String SUBMIT_NAME = "submit";
    public static final String OPERATE_NAME = "operate";
    public static final String ADMIN_NAME = "admin";

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** This role and every role it includes. */
    public Set<Role> withIncluded() {
        return EnumSet.range(READ, this);
    }

    /** The roles a token with {@code granted} holds, the included ones added. */
    public static Set<Role> closure(Set<Role> granted) {
        EnumSet<Role> all = EnumSet.noneOf(Role.class);
        granted.forEach(r -> all.addAll(r.withIncluded()));
        return all;
    }

    public static Optional<Role> parse(String id) {
        for (Role r : values()) {
            if (r.id().equals(id)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
