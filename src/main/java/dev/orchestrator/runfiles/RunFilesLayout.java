package dev.orchestrator.runfiles;

import java.nio.file.Path;

/**
 * Where a run keeps its files: {@code <runs>/<job id>/<run id>/}, holding the agent's output, the
 * payload it was given and the exit status its wrapper wrote.
 */
public record RunFilesLayout(Path runsDir) {
    public static final String LOG_FILE = "output.log";
    public static final String PAYLOAD_FILE = "payload.json";
    /** Written by the run's wrapper when the agent ends: its exit status, one decimal line. */
    public static final String EXIT_FILE = "exit_status";

    /** Every run of one job. */
    public Path jobDir(long jobId) {
        return runsDir.resolve(Long.toString(jobId));
    }

    public Path runDir(long jobId, long runId) {
        return jobDir(jobId).resolve(Long.toString(runId));
    }

    public Path logFile(long jobId, long runId) {
        return runDir(jobId, runId).resolve(LOG_FILE);
    }
}
