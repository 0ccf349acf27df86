package dev.orchestrator.run;

import java.util.Locale;

/** Everything the queue does that an operator may count. One type feeds counters, logs and test waits. */
public enum QueueEvent {
    CLAIMED,
    STARTED,
    LAUNCH_FAILED,
    SUCCEEDED,
    RETRIED,
    FAILED,
    TRANSIENT_REQUEUED,
    ABANDONED,
    CANCELLED,
    OWNERSHIP_LOST,
    RECOVERED_AT_STARTUP,
    IMPOSSIBLE_QUEUED_HEALED,
    REAPED_DEAD_PROCESS,
    REAPED_PID_REUSED,
    REAPED_SPAWN_GRACE_EXPIRED,
    REAPED_LEASE_EXPIRED,
    REAPED_TIMEOUT,
    ORPHANS_KILLED,
    FINISHED_FROM_EXIT_FILE;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
