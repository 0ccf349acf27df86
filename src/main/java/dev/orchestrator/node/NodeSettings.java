package dev.orchestrator.node;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.run.RetryRules;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What one node is told by its configuration, as plain values ({@code boot} reads the settings
 * and builds this; nothing below it reads configuration).
 *
 * @param retention how long finished jobs are kept; zero keeps them for good
 * @param auditRetention how long audit events are kept; zero keeps them for good
 * @param eventRetention how long the event feed's events are kept; zero keeps them for good
 * @param wedgeAlarm how long a claimable job may wait while a slot is free (or held by a dead run)
 *                   before the wedge alarm goes DOWN
 */
public record NodeSettings(ClaimPolicy claims, Duration dispatchPollInterval, RetryRules retry, Duration killGrace,
                           Path reposDir, Path runsDir, Duration retention, Duration auditRetention,
                           Duration eventRetention,
                           ReaperSwitches reaper,
                           Duration lease, Duration wedgeAlarm) {

    /** The reaper's switches and its spawn grace. */
    public record ReaperSwitches(boolean enabled, boolean sanitize, boolean liveness, boolean leaseReclaim,
                                 boolean timeoutBackstop, Duration spawnGrace) {
    }

    /** The OS commands the node relies on (resolved and checked at start-up). */
    public record Commands(String setsid, String kill) {
    }
}
