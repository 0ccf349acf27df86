package dev.orchestrator.domain.run;

import java.nio.file.Path;

/** A run row created for a claimed job and attached to it; {@code attempt} counts from 1. */
public record RunStart(long jobId, long runId, int attempt, Path runDir) {
}
