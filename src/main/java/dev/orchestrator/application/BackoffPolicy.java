package dev.orchestrator.application;

import java.time.Duration;

/**
 * Delay before a transiently failed job may run again: base * 2^(earlier transient failures),
 * capped. Deterministic for now; jitter arrives with the retry-semantics work.
 */
public record BackoffPolicy(Duration base, Duration max) {
    public Duration delayAfter(int earlierTransientFailures) {
        int shift = Math.min(Math.max(earlierTransientFailures, 0), 30);
        long seconds = base.toSeconds() << shift;
        if (seconds <= 0 || seconds > max.toSeconds()) {
            return max;
        }
        return Duration.ofSeconds(seconds);
    }
}
