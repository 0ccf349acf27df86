package dev.orchestrator.run;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Delay before a transiently failed job may run again: exponential with full jitter, a uniformly
 * random delay between 0 and min(max, base * 2^(earlier transient failures)). Jitter spreads the
 * retries of many jobs hit by the same outage (rate limit, overloaded API) instead of sending them
 * back together.
 *
 * @param random values in [0, 1); injected so tests are exact
 */
public record BackoffPolicy(Duration base, Duration max, DoubleSupplier random) {
    /** The ceiling of the random delay after {@code earlierTransientFailures} failures. */
    public Duration ceilingAfter(int earlierTransientFailures) {
        int shift = Math.min(Math.max(earlierTransientFailures, 0), 30);
        long millis = base.toMillis() << shift;
        if (millis <= 0 || millis > max.toMillis()) {
            return max;
        }
        return Duration.ofMillis(millis);
    }

    public Duration delayAfter(int earlierTransientFailures) {
        double r = Math.min(Math.max(random.getAsDouble(), 0.0), 1.0);
        return Duration.ofMillis((long) (ceilingAfter(earlierTransientFailures).toMillis() * r));
    }
}
