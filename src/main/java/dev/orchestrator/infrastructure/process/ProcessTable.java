package dev.orchestrator.infrastructure.process;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the identity of OS processes. A process is the one we started only if its pid exists,
 * its start time equals the recorded one, and the host has not rebooted since: a reused pid has a
 * different start time, and a pid from an earlier boot means nothing now.
 */
public class ProcessTable {
    private final String currentBootId;

    public ProcessTable(String currentBootId) {
        this.currentBootId = Objects.requireNonNull(currentBootId);
    }

    public String currentBootId() {
        return currentBootId;
    }

    /**
     * The process's start time (millisecond precision, derived from /proc/PID/stat), if it exists
     * and is not a zombie: an exited process that nobody reaped (under a PID 1 that does not reap,
     * orphans stay zombies forever) has ended, whatever {@link ProcessHandle#isAlive()} says.
     */
    public Optional<Instant> startTime(long pid) {
        if (isZombie(pid)) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().startInstant())
                .map(t -> t.truncatedTo(ChronoUnit.MILLIS));
    }

    static boolean isZombie(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(") ") + 2).split(" ", 2)[0];
            return "Z".equals(state) || "X".equals(state);
        } catch (java.io.IOException | RuntimeException e) {
            return false; // no such process: ProcessHandle says so too
        }
    }

    /** True only if the recorded process (pid, start time, boot) is the one alive now. */
    public boolean isSameProcessAlive(long pid, Instant recordedStart, String recordedBootId) {
        if (recordedStart == null || recordedBootId == null || !recordedBootId.equals(currentBootId)) {
            return false;
        }
        return startTime(pid).map(t -> t.equals(recordedStart.truncatedTo(ChronoUnit.MILLIS))).orElse(false);
    }
}
