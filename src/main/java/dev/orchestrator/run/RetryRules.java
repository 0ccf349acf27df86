package dev.orchestrator.run;

import java.util.List;
import java.util.Locale;

/**
 * How failures are retried: the transient back-off, how many transient failures a job may have
 * (ORCH_MAX_TRANSIENT_ATTEMPTS), and the output patterns that make a non-zero exit transient
 * (ORCH_TRANSIENT_OUTPUT_PATTERNS, looked for in the run's last ORCH_TRANSIENT_OUTPUT_LINES lines).
 */
public record RetryRules(BackoffPolicy backoff, int maxTransientAttempts, List<String> transientPatterns,
                         int outputLines) {
    public RetryRules {
        transientPatterns = transientPatterns.stream().map(p -> p.trim().toLowerCase(Locale.ROOT))
                .filter(p -> !p.isEmpty()).toList();
    }
}
