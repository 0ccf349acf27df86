package dev.orchestrator.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL that {@code mvn -Prun} starts keeps what it acknowledged: fsync and
 * synchronous commit on, although the library's own defaults turn both off (which the tests'
 * throwaway databases keep, for speed).
 */
class LauncherDatabaseTest {
    @TempDir
    Path dataDir;

    @Test
    void the_launchers_database_runs_with_fsync_and_synchronous_commit_on() throws Exception {
        try (EmbeddedDatabase db = Launcher.startEmbeddedDatabase(dataDir)) {
            assertThat(setting(db, "fsync")).isEqualTo("on");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("on");
            assertThat(setting(db, "full_page_writes")).isEqualTo("on");
            assertThat(setting(db, "data_directory")).isEqualTo(dataDir.resolve("postgres").toString());
        }
    }

    @Test
    void the_launchers_database_keeps_its_own_log_in_files_under_its_data_directory() throws Exception {
        try (EmbeddedDatabase db = Launcher.startEmbeddedDatabase(dataDir)) {
            assertThat(setting(db, "logging_collector")).isEqualTo("on");
            assertThat(setting(db, "log_directory")).isEqualTo("log");
            Path logs = dataDir.resolve("postgres").resolve("log");
            // the server logs its start ("database system is ready") into the collector's file
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                try (Stream<Path> files = Files.list(logs)) {
                    return files.anyMatch(f -> {
                        try {
                            return Files.readString(f).contains("ready to accept connections");
                        } catch (IOException e) {
                            return false;
                        }
                    });
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    @Test
    void a_throwaway_database_keeps_the_librarys_fast_unsafe_defaults() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir.resolve("pg"), 0, false,
                EmbeddedDatabase.Durability.THROWAWAY)) {
            assertThat(setting(db, "fsync")).isEqualTo("off");
            assertThat(setting(db, "synchronous_commit")).isEqualTo("off");
        }
    }

    private static String setting(EmbeddedDatabase db, String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
