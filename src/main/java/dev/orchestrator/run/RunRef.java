package dev.orchestrator.run;

import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.domain.run.RunStart;
import java.nio.file.Path;

/**
 * A run to finish: its job, its id (the fence), the job's attempt bookkeeping as of the claim, and
 * the run's directory (log, exit file; null when unknown), and the job's agent (for the finishes by agent).
 */
public record RunRef(long jobId, long runId, int attempts, int maxAttempts, int transientAttempts, Path runDir,
                     String agent) {
    public static RunRef of(ClaimedJob job, RunStart run) {
        return new RunRef(job.id(), run.runId(), job.attempts(), job.maxAttempts(), job.transientAttempts(),
                run.runDir(), job.agent());
    }

    public static RunRef of(RunningJob job) {
        return new RunRef(job.id(), job.runId(), job.attempts(), job.maxAttempts(), job.transientAttempts(),
                job.runDir(), job.agent());
    }
}
