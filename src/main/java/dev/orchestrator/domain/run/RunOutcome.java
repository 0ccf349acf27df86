package dev.orchestrator.domain.run;

import java.util.Locale;

/** How one run (attempt) of a job ended. Stored lower-case in {@code agent_runs.outcome}. */
public enum RunOutcome {
    /** Exit 0; the job is done. */
    DONE,
    /** Non-zero exit with attempts left; the job was requeued. */
    RETRIED,
    /** Non-zero exit with no attempts left; the job failed. */
    FAILED,
    /** Transient exit code; the job was requeued with back-off, attempts not counted. */
    TRANSIENT,
    /** The process could not be started; the job was requeued (or failed when out of attempts). */
    LAUNCH_FAILED,
    /** The run was given up without an exit status (node shut down or crashed); the job was requeued. */
    ABANDONED,
    /** The process ended after its job had already been taken from this run; nothing was changed. */
    SUPERSEDED,
    /** Cancelled by an operator. */
    CANCELLED;

    public String db() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static RunOutcome fromDb(String value) {
        return value == null ? null : valueOf(value.toUpperCase(Locale.ROOT));
    }
}
