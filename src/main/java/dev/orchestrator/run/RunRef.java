package dev.orchestrator.run;

import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.run.RunStart;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A run to finish: its job, its id (the fence), the job's attempt bookkeeping as of the claim, the
 * run's directory (log, exit file; null when unknown), its agent and when it started (for the
 * metrics of its finish; null when unknown).
 */
public record RunRef(long jobId, long runId, int attempts, int maxAttempts, int transientAttempts, Path runDir,
                     String agent, Instant startedAt) {
    public static RunRef of(ClaimedJob job, RunStart run) {
        return new RunRef(job.id(), run.runId(), job.attempts(), job.maxAttempts(), job.transientAttempts(),
                run.runDir(), job.agent(), job.claimedAt());
    }

    public static RunRef of(RunningJob job) {
        return new RunRef(job.id(), job.runId(), job.attempts(), job.maxAttempts(), job.transientAttempts(),
                job.runDir(), job.agent(), job.runStartedAt() != null ? job.runStartedAt() : job.claimedAt());
    }
}
