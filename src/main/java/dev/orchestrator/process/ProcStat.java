package dev.orchestrator.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One read of {@code /proc/PID/stat}: the fields after the command name, from field 3 (state) on.
 * The name is skipped up to the last {@code ") "}, so a name with spaces or parentheses cannot
 * shift the fields; the bytes are decoded as ISO-8859-1, so a name that is not valid UTF-8 (a
 * multi-byte character cut at 15 bytes) cannot make the read fail.
 */
record ProcStat(String[] fields) {
    static Optional<ProcStat> of(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "stat"));
    }

    static Optional<ProcStat> read(Path statFile) {
        try {
            String s = new String(Files.readAllBytes(statFile), StandardCharsets.ISO_8859_1);
            return Optional.of(new ProcStat(s.substring(s.lastIndexOf(") ") + 2).trim().split(" ")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no such process, or it vanished while read
        }
    }

    /** Exited and not yet reaped ({@code Z}), or dead ({@code X}). */
    boolean ended() {
        return "Z".equals(fields[0]) || "X".equals(fields[0]);
    }

    /** Field 5: the process group id. */
    long processGroup() {
        return Long.parseLong(fields[2]);
    }

    /** Field 22: the start time in clock ticks since boot. */
    long startTicks() {
        return Long.parseLong(fields[19]);
    }
}
