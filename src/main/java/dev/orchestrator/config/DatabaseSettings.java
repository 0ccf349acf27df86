package dev.orchestrator.config;

import java.util.Map;

/**
 * ORCH_DB_URL, ORCH_DB_USER and ORCH_DB_PASSWORD, which the container's data sources read from the
 * environment. Checked before the first connection so that a missing one is named, not reported
 * as an invalid URL "${ENV=...}".
 */
public record DatabaseSettings(String url, String user) {
    public static DatabaseSettings fromEnvironment(Map<String, String> env) {
        String url = env.get("ORCH_DB_URL");
        if (url == null || url.isBlank()) {
            throw new ConfigurationException("ORCH_DB_URL is not set: give the PostgreSQL JDBC URL, e.g. "
                    + "jdbc:postgresql://db.example:5432/orchestrator (mvn -Prun sets it for the embedded database)");
        }
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new ConfigurationException("ORCH_DB_URL='" + url + "' is not a PostgreSQL JDBC URL "
                    + "(expected jdbc:postgresql://HOST:PORT/DATABASE)");
        }
        String user = env.get("ORCH_DB_USER");
        if (user == null || user.isBlank()) {
            throw new ConfigurationException("ORCH_DB_USER is not set: give the PostgreSQL user for ORCH_DB_URL");
        }
        if (env.get("ORCH_DB_PASSWORD") == null) {
            throw new ConfigurationException("ORCH_DB_PASSWORD is not set: give the password of ORCH_DB_USER "
                    + "(set it to an empty value if the server needs none)");
        }
        return new DatabaseSettings(url, user);
    }
}
