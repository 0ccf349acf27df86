package dev.orchestrator.store;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;

/** Brings the schema to the latest version with Flyway (migrations under {@code db/migration}). */
public final class SchemaMigrator {
    /** The schema as Flyway sees it: its current version (null for an empty schema) and what is still pending. */
    public record State(String currentVersion, int pending) {
    }

    /** The outcome of {@link #migrate}: the state afterwards and how many migrations this call applied. */
    public record Migration(State state, int applied) {
    }

    private SchemaMigrator() {
    }

    public static Migration migrate(DataSource dataSource, ClassLoader classLoader) {
        Flyway flyway = flyway(dataSource, classLoader);
        int applied = flyway.migrate().migrationsExecuted;
        return new Migration(state(flyway), applied);
    }

    /** Reads the schema history (one query) against the migrations shipped in {@code classLoader}. */
    public static State state(DataSource dataSource, ClassLoader classLoader) {
        return state(flyway(dataSource, classLoader));
    }

    private static State state(Flyway flyway) {
        MigrationInfoService info = flyway.info();
        MigrationInfo current = info.current();
        return new State(current == null || current.getVersion() == null ? null : current.getVersion().getVersion(),
                info.pending().length);
    }

    private static Flyway flyway(DataSource dataSource, ClassLoader classLoader) {
        return Flyway.configure(classLoader)
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .failOnMissingLocations(true)
                .load();
    }
}
