package dev.orchestrator.config;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * ORCH_DB_URL, ORCH_DB_USER and ORCH_DB_PASSWORD, read through {@link Settings} (the environment
 * first, then MicroProfile Config: JVM options, system properties, {@code asadmin
 * set-config-property}, password aliases). Checked before the first connection so that a missing
 * one is named, not reported as an invalid URL "${MPCONFIG=...}". The password may be empty; it is
 * never shown by {@link #toString()}.
 */
public record DatabaseSettings(String url, String user, String password) {
    public static final String URL = "ORCH_DB_URL";
    public static final String USER = "ORCH_DB_USER";
    public static final String PASSWORD = "ORCH_DB_PASSWORD";

    public static DatabaseSettings from(Settings s) {
        String url = s.required(URL, "give the PostgreSQL JDBC URL, e.g. "
                + "jdbc:postgresql://db.example:5432/orchestrator (mvn -Prun sets it for the embedded database)");
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new ConfigurationException(URL + "='" + url + "' is not a PostgreSQL JDBC URL "
                    + "(expected jdbc:postgresql://HOST:PORT/DATABASE)");
        }
        String user = s.required(USER, "give the PostgreSQL user for " + URL);
        String password = s.present(PASSWORD).orElseThrow(() -> new ConfigurationException(PASSWORD
                + " is not set: give the password of " + USER + " (set it to an empty value if the server needs "
                + "none; on Payara Server a password alias named " + PASSWORD + " works too)"));
        return new DatabaseSettings(url, user, password);
    }

    /** The launcher's check of the environment it hands to the server. */
    public static DatabaseSettings fromEnvironment(Map<String, String> env) {
        return from(new Settings(name -> Optional.ofNullable(env.get(name))));
    }

    /**
     * The container's JPA pool reads the same three names through MicroProfile Config alone, in its
     * order (system properties and JVM options before the environment). Refuses a disagreement
     * (say, ORCH_DB_URL in the environment and, differently, as a JVM option) instead of letting
     * the two pools of one node work on different databases. The password is compared, never shown.
     */
    public void requireSameAs(Function<String, Optional<String>> containerView) {
        same(URL, url, containerView.apply(URL), true);
        same(USER, user, containerView.apply(USER), true);
        same(PASSWORD, password, containerView.apply(PASSWORD), false);
    }

    private static void same(String name, String value, Optional<String> container, boolean show) {
        String other = container.orElse("");
        if (other.isEmpty() && !value.isEmpty()) {
            throw new ConfigurationException(name + " is set, but MicroProfile Config, which the container's "
                    + "JPA pool reads, does not see it");
        }
        if (!other.equals(value)) {
            throw new ConfigurationException(name + " is set in the environment" + (show ? " (" + value + ")" : "")
                    + " and differently in MicroProfile Config" + (show ? " (" + other + ")" : "")
                    + ", e.g. as a JVM option or system property; the container's JPA pool would use the latter: "
                    + "set " + name + " in one place");
        }
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + url + ", user=" + user + ", password=" + (password.isEmpty() ? "" : "***")
                + "]";
    }
}
