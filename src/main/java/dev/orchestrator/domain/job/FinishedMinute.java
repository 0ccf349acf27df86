package dev.orchestrator.domain.job;

import java.time.Instant;

/** How many jobs finished in one minute (the minute's start), by final status. */
public record FinishedMinute(Instant minute, long done, long failed, long cancelled) {
}
