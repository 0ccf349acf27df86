package dev.orchestrator.launcher;

import dev.orchestrator.process.HostInfo;
import dev.orchestrator.process.ProcessTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Remembers the Payara Micro process of this data directory as (pid, start time), so that a server
 * orphaned by a SIGKILLed launcher is stopped at the next start, and a reused pid is never
 * mistaken for it. The start time is the kernel's, in clock ticks since boot: unlike the JDK's
 * start instant it does not move when the wall clock is stepped between two launchers. (A file
 * written by an older launcher holds an instant, still understood.)
 */
final class ServerPidFile {
    private static final Logger LOG = Logger.getLogger(ServerPidFile.class.getName());
    private final Path file;

    ServerPidFile(Path file) {
        this.file = file;
    }

    void write(ProcessHandle server) throws IOException {
        java.util.OptionalLong ticks = processes().startTicks(server.pid());
        String start = ticks.isPresent() ? Long.toString(ticks.getAsLong()) : "-";
        Files.writeString(file, server.pid() + " " + start + "\n", StandardCharsets.US_ASCII);
    }

    private static ProcessTable processes() {
        return new ProcessTable(HostInfo.bootId());
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot delete " + file, e);
        }
    }

    /** Stops the recorded server if that very process is still alive. */
    void stopOrphan() {
        Optional<ProcessHandle> orphan = read();
        if (orphan.isEmpty()) {
            delete();
            return;
        }
        ProcessHandle h = orphan.get();
        LOG.log(Level.WARNING, "an Orchestrator server (pid {0}) left running by an earlier launcher; stopping it",
                h.pid());
        h.destroy();
        if (!EmbeddedDatabase.awaitExit(h, Duration.ofSeconds(60))) {
            h.destroyForcibly();
            EmbeddedDatabase.awaitExit(h, Duration.ofSeconds(10));
        }
        delete();
    }

    private Optional<ProcessHandle> read() {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            String[] parts = lines.get(0).trim().split(" ");
            long pid = Long.parseLong(parts[0]);
            String start = parts.length > 1 ? parts[1] : "-";
            Long ticks = start.matches("[0-9]+") ? Long.valueOf(start) : null;
            Instant instant = ticks == null && !start.equals("-") ? Instant.parse(start) : null;
            if (ticks == null && instant == null) {
                return Optional.empty();
            }
            return ProcessHandle.of(pid)
                    .filter(h -> processes().isSameProcessAlive(pid, instant, ticks, HostInfo.bootId()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
