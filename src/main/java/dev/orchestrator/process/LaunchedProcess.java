package dev.orchestrator.process;

import java.time.Instant;

/**
 * A started agent process. {@code startedAt} is empty, and {@code startTicks} null, only if the
 * process was already gone when its start time was read (it then has nothing left to identify).
 */
public record LaunchedProcess(Process process, long pid, java.util.Optional<Instant> startedAt, Long startTicks) {
}
