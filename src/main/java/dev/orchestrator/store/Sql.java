package dev.orchestrator.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One SQL statement with named parameters ({@code :run_id}), compiled once to JDBC's positional
 * form. A name may appear several times ({@code finished_at = :now, updated_at = :now}); binding
 * checks that every name is given and nothing else, so a statement and its binder cannot drift
 * apart. Two fragments that every store repeats are written once and spliced in by name:
 * <ul>
 * <li>{@code {ownership_cleared}}: the run-ownership columns set NULL, for every statement that
 *     returns a job to queued;</li>
 * <li>{@code {running_run}}: the guard of every write about a running job that has a run.</li>
 * </ul>
 * The claim's gates are written here once, each as the condition that holds queued job {@code q},
 * so that the claim ({@code {claimable}}, {@code {capacity_full}}) and the explanation of a waiting
 * job ({@code {held_*}}) read the same predicates and can never disagree. They take the parameters
 * {@code :now}, {@code :serial_gate}, {@code :deps_gate}, {@code :saturated_agents} and (capacity)
 * {@code :max_concurrency}; the {@code {*_of_q}} fragments are the inner conditions the detail
 * columns list.
 */
final class Sql {
    static final String OWNERSHIP_CLEARED = "run_id = NULL, pid = NULL, started_at = NULL, claimed_by = NULL";
    static final String RUNNING_RUN = "id = :id AND status = 'running' AND run_id = :run_id";

    /** A pause that applies to q (alias p of claim_pauses). */
    static final String PAUSE_OF_Q = "(p.scope = '*' OR p.scope = 'repo:' || q.repo)";
    /** A running job of q's repo (alias r of jobs). */
    static final String RUNNING_OF_REPO = "(r.status = 'running' AND r.repo = q.repo)";
    /** A dependency of q not done (d: job_dependencies, dj: the dependency's job). */
    static final String DEPENDENCY_NOT_DONE = "(d.job_id = q.id AND dj.status <> 'done')";

    static final String HELD_BACKOFF = "(q.available_at > :now)";
    static final String HELD_CANCEL_REQUESTED = "(q.cancel_requested)";
    static final String HELD_PAUSED = "(EXISTS (SELECT 1 FROM claim_pauses p WHERE " + PAUSE_OF_Q + "))";
    static final String HELD_REPO_BUSY = "(:serial_gate AND EXISTS (SELECT 1 FROM jobs r WHERE " + RUNNING_OF_REPO
            + "))";
    static final String HELD_DEPENDENCY = "(:deps_gate AND EXISTS (SELECT 1 FROM job_dependencies d"
            + " JOIN jobs dj ON dj.id = d.depends_on WHERE " + DEPENDENCY_NOT_DONE + "))";
    static final String HELD_AGENT_LIMIT = "(q.agent = ANY (:saturated_agents))";
    /** No gate of its own holds queued job q (capacity aside). */
    static final String CLAIMABLE = "(NOT " + HELD_BACKOFF + " AND NOT " + HELD_CANCEL_REQUESTED + " AND NOT "
            + HELD_PAUSED + " AND NOT " + HELD_REPO_BUSY + " AND NOT " + HELD_DEPENDENCY + " AND NOT "
            + HELD_AGENT_LIMIT + ")";
    /** Every slot taken: the running jobs of the cluster reach max concurrency. */
    static final String RUNNING_COUNT = "(SELECT count(*) FROM jobs r WHERE r.status = 'running')";
    static final String CAPACITY_FULL = "(" + RUNNING_COUNT + " >= :max_concurrency)";

    private static final Map<String, String> FRAGMENTS = fragments();

    private static Map<String, String> fragments() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("{ownership_cleared}", OWNERSHIP_CLEARED);
        m.put("{running_run}", RUNNING_RUN);
        m.put("{pause_of_q}", PAUSE_OF_Q);
        m.put("{running_of_repo}", RUNNING_OF_REPO);
        m.put("{dependency_not_done}", DEPENDENCY_NOT_DONE);
        m.put("{held_backoff}", HELD_BACKOFF);
        m.put("{held_cancel_requested}", HELD_CANCEL_REQUESTED);
        m.put("{held_paused}", HELD_PAUSED);
        m.put("{held_repo_busy}", HELD_REPO_BUSY);
        m.put("{held_dependency}", HELD_DEPENDENCY);
        m.put("{held_agent_limit}", HELD_AGENT_LIMIT);
        m.put("{claimable}", CLAIMABLE);
        m.put("{running_count}", RUNNING_COUNT);
        m.put("{capacity_full}", CAPACITY_FULL);
        return Map.copyOf(m);
    }

    private static final Pattern PARAM = Pattern.compile("'[^']*'|(?<!:):([a-z][a-z0-9_]*)");

    private final String text;
    private final String jdbc;
    private final List<String> names;

    private Sql(String text) {
        String spliced = text;
        for (Map.Entry<String, String> f : FRAGMENTS.entrySet()) {
            spliced = spliced.replace(f.getKey(), f.getValue());
        }
        if (spliced.matches("(?s).*\\{[a-z_]+\\}.*")) {
            throw new IllegalArgumentException("unknown fragment in: " + spliced);
        }
        this.text = spliced;
        List<String> found = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        Matcher m = PARAM.matcher(this.text);
        while (m.find()) {
            if (m.group(1) == null) {
                m.appendReplacement(out, Matcher.quoteReplacement(m.group())); // a string literal: untouched
            } else {
                found.add(m.group(1));
                m.appendReplacement(out, "?");
            }
        }
        m.appendTail(out);
        this.jdbc = out.toString();
        this.names = List.copyOf(found);
    }

    static Sql of(String text) {
        return new Sql(text);
    }

    /** The values of a statement's named parameters. */
    static final class Params {
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Params() {
        }

        /** {@code name, value, name, value, ...}; an {@link Instant} is bound as timestamptz. */
        static Params of(Object... namesAndValues) {
            if (namesAndValues.length % 2 != 0) {
                throw new IllegalArgumentException("parameters come in name, value pairs");
            }
            Params p = new Params();
            for (int i = 0; i < namesAndValues.length; i += 2) {
                p.values.put((String) namesAndValues[i], namesAndValues[i + 1]);
            }
            return p;
        }

        /** These values without one. */
        Params without(String name) {
            Params p = new Params();
            p.values.putAll(values);
            p.values.remove(name);
            return p;
        }

        /** These values and one more. */
        Params with(String name, Object value) {
            Params p = new Params();
            p.values.putAll(values);
            p.values.put(name, value);
            return p;
        }
    }

    /** A {@code text[]} parameter. */
    record TextArray(Collection<String> values) {
    }

    /** A {@code bigint[]} parameter. */
    record LongArray(Collection<Long> values) {
    }

    @FunctionalInterface
    interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    PreparedStatement prepare(Connection c, Params params) throws SQLException {
        if (!params.values.keySet().equals(new java.util.HashSet<>(names))) {
            throw new IllegalArgumentException("statement takes " + new java.util.TreeSet<>(names) + " but was given "
                    + new java.util.TreeSet<>(params.values.keySet()) + ": " + text);
        }
        PreparedStatement ps = c.prepareStatement(jdbc);
        try {
            for (int i = 0; i < names.size(); i++) {
                bind(c, ps, i + 1, params.values.get(names.get(i)));
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    private static void bind(Connection c, PreparedStatement ps, int index, Object value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.NULL);
        } else if (value instanceof Instant i) {
            ps.setObject(index, OffsetDateTime.ofInstant(i, ZoneOffset.UTC));
        } else if (value instanceof TextArray a) {
            Array array = c.createArrayOf("text", a.values().toArray());
            ps.setArray(index, array);
        } else if (value instanceof LongArray a) {
            ps.setArray(index, c.createArrayOf("bigint", a.values().toArray()));
        } else {
            ps.setObject(index, value);
        }
    }

    /** Runs an UPDATE, INSERT or DELETE; the row count. */
    int update(Connection c, Params params) throws SQLException {
        try (PreparedStatement ps = prepare(c, params)) {
            return ps.executeUpdate();
        }
    }

    /** Runs a query (or a statement with RETURNING); every row, mapped. */
    <T> List<T> list(Connection c, Params params, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement ps = prepare(c, params); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(mapper.map(rs));
            }
            return out;
        }
    }

    /** The first row, if any. */
    <T> Optional<T> first(Connection c, Params params, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement ps = prepare(c, params); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.ofNullable(mapper.map(rs)) : Optional.empty();
        }
    }

    // ---------------------------------------------------------------- reading columns by name

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
