package dev.orchestrator.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The server's settings, read once at start-up and validated; see {@code .env.example} for each.
 */
public record OrchestratorConfig(
        Path dataDir,
        Path reposDir,
        Path agentsFile,
        int maxConcurrency,
        boolean serialGateEnabled,
        boolean taskDepsEnabled,
        int defaultMaxAttempts,
        Duration transientBackoffBase,
        Duration transientBackoffMax,
        int maxTransientAttempts,
        java.util.List<String> transientOutputPatterns,
        int transientOutputLines,
        int retentionDays,
        Duration dispatchPollInterval,
        Duration killGrace,
        String nodeName,
        boolean reaperEnabled,
        Duration reaperInterval,
        boolean impossibleQueuedSanitizeEnabled,
        boolean livenessCheckEnabled,
        boolean leaseReclaimEnabled,
        boolean timeoutBackstopEnabled,
        Duration spawnGrace,
        Duration nodeHeartbeat,
        Duration nodeLease,
        int auditRetentionDays,
        int maxRequestBytes,
        Duration wedgeAlarm,
        boolean wedgeAlarmReadiness,
        boolean notifyEnabled,
        int maxSseStreams,
        Duration sseSlowClient,
        int eventRetentionHours) {

    public static final int DEFAULT_MAX_CONCURRENCY = 1;
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** ORCH_MAX_REQUEST_BYTES: 2 MiB. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024;
    public static final String DEFAULT_TRANSIENT_OUTPUT_PATTERNS = "overloaded,rate limit,too many requests";

    public static OrchestratorConfig from(Settings s, String defaultNodeName) {
        Path dataDir = s.path("ORCH_DATA_DIR", Path.of("data"));
        Path reposDir = s.path("ORCH_REPOS_DIR", dataDir.resolve("repos"));
        Path agentsFile = s.requiredPath("ORCH_AGENTS_FILE",
                "name the JSON file of agents (see server-config/agents.example.json)");
        Duration base = s.seconds("ORCH_TRANSIENT_BACKOFF_BASE_SECONDS", 30, 1, 86_400);
        Duration max = s.seconds("ORCH_TRANSIENT_BACKOFF_MAX_SECONDS", 1800, 1, 7 * 86_400);
        if (max.compareTo(base) < 0) {
            throw new ConfigurationException("ORCH_TRANSIENT_BACKOFF_MAX_SECONDS=" + max.toSeconds()
                    + " is below ORCH_TRANSIENT_BACKOFF_BASE_SECONDS=" + base.toSeconds());
        }
        Duration heartbeat = s.seconds("ORCH_NODE_HEARTBEAT_SECONDS", 10, 1, 3600);
        Duration lease = s.seconds("ORCH_NODE_LEASE_SECONDS", 120, 3, 86_400);
        Duration killGrace = s.seconds("ORCH_KILL_GRACE_SECONDS", 10, 0, 600);
        Duration minLease = heartbeat.plus(killGrace).multipliedBy(2).plusSeconds(40);
        if (lease.compareTo(minLease) < 0) {
            throw new ConfigurationException("ORCH_NODE_LEASE_SECONDS=" + lease.toSeconds() + " is too short for "
                    + "ORCH_NODE_HEARTBEAT_SECONDS=" + heartbeat.toSeconds() + " and ORCH_KILL_GRACE_SECONDS="
                    + killGrace.toSeconds() + ": it must be at least 2 x (heartbeat + kill grace) + 40 = "
                    + minLease.toSeconds() + " (a silent node must have killed its agents before others reclaim)");
        }
        return new OrchestratorConfig(
                dataDir,
                reposDir,
                agentsFile,
                s.integer("ORCH_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY, 1, 10_000),
                s.flag("ORCH_SERIAL_GATE_ENABLED", true),
                s.flag("ORCH_TASK_DEPS_ENABLED", true),
                s.integer("ORCH_DEFAULT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1, 100),
                base,
                max,
                s.integer("ORCH_MAX_TRANSIENT_ATTEMPTS", 10, 1, 1000),
                transientPatterns(s.string("ORCH_TRANSIENT_OUTPUT_PATTERNS", DEFAULT_TRANSIENT_OUTPUT_PATTERNS)),
                s.integer("ORCH_TRANSIENT_OUTPUT_LINES", 20, 1, 1000),
                s.integer("ORCH_RETENTION_DAYS", 14, 0, 36_500),
                Duration.ofMillis(s.integer("ORCH_DISPATCH_POLL_MILLIS", 1000, 10, 60_000)),
                killGrace,
                s.string("ORCH_NODE_NAME", defaultNodeName),
                s.flag("ORCH_REAPER_ENABLED", true),
                s.seconds("ORCH_REAPER_INTERVAL_SECONDS", 10, 1, 3600),
                s.flag("ORCH_IMPOSSIBLE_QUEUED_SANITIZE_ENABLED", true),
                s.flag("ORCH_LIVENESS_CHECK_ENABLED", true),
                s.flag("ORCH_LEASE_RECLAIM_ENABLED", true),
                s.flag("ORCH_TIMEOUT_BACKSTOP_ENABLED", true),
                s.seconds("ORCH_SPAWN_GRACE_SECONDS", 60, 1, 3600),
                heartbeat,
                lease,
                s.integer("ORCH_AUDIT_RETENTION_DAYS", 90, 0, 36_500),
                s.integer("ORCH_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1024, Integer.MAX_VALUE),
                s.seconds("ORCH_WEDGE_ALARM_SECONDS", 300, 1, 7 * 86_400),
                s.flag("ORCH_WEDGE_ALARM_READINESS", false),
                s.flag("ORCH_NOTIFY_ENABLED", true),
                s.integer("ORCH_MAX_SSE_STREAMS", 64, 0, 100_000),
                s.seconds("ORCH_SSE_SLOW_CLIENT_SECONDS", 30, 1, 3600),
                s.integer("ORCH_EVENT_RETENTION_HOURS", 72, 0, 876_000));
    }

    /** Comma-separated patterns; "none" switches output patterns off. */
    static java.util.List<String> transientPatterns(String raw) {
        return raw.trim().equalsIgnoreCase("none") ? java.util.List.of() : java.util.Arrays.asList(raw.split(","));
    }

    public Path runsDir() {
        return dataDir.resolve("runs");
    }
}
