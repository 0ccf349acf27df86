package dev.orchestrator.process;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads the identity of OS processes. A process is the one we started only if its pid exists,
 * its start time equals the recorded one, and the host has not rebooted since: a reused pid has a
 * different start time, and a pid from an earlier boot means nothing now.
 *
 * <p>The start time compared is the kernel's, in clock ticks since boot ({@link #startTicks}). The
 * JDK's start instant is derived from the boot time as each JVM reads it, which moves when the
 * wall clock is stepped, so two JVMs (a restarted server, a sibling node) could disagree about the
 * same process. The instant is still recorded for people, and compared only for rows written
 * before ticks were recorded.
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

    /**
     * The process's start time in clock ticks since boot (/proc/PID/stat, field 22), if it exists
     * and is not a zombie. Exact, and independent of the wall clock.
     */
    public java.util.OptionalLong startTicks(long pid) {
        try {
            return ProcStat.of(pid).filter(s -> !s.ended())
                    .map(s -> java.util.OptionalLong.of(s.startTicks())).orElse(java.util.OptionalLong.empty());
        } catch (RuntimeException e) {
            return java.util.OptionalLong.empty(); // a malformed line: judged gone, never the same process
        }
    }

    static boolean isZombie(long pid) {
        return ProcStat.of(pid).map(ProcStat::ended).orElse(false); // absent: ProcessHandle says so too
    }

    /**
     * True only if the recorded process (pid, start, boot) is the one alive now. The start is
     * judged by {@code recordedTicks} when recorded, else by {@code recordedStart} (older rows).
     */
    public boolean isSameProcessAlive(long pid, Instant recordedStart, Long recordedTicks, String recordedBootId) {
        if (recordedBootId == null || !recordedBootId.equals(currentBootId)) {
            return false;
        }
        if (recordedTicks != null) {
            java.util.OptionalLong now = startTicks(pid);
            return now.isPresent() && now.getAsLong() == recordedTicks;
        }
        if (recordedStart == null) {
            return false;
        }
        return startTime(pid).map(t -> t.equals(recordedStart.truncatedTo(ChronoUnit.MILLIS))).orElse(false);
    }
}
