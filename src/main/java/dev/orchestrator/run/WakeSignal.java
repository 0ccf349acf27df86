package dev.orchestrator.run;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Wakes the dispatcher: an enqueue or a freed slot signals, the dispatcher waits for a signal or
 * its poll interval. Signals that arrive while it works are coalesced into one more pass.
 */
final class WakeSignal {
    private final Semaphore permits = new Semaphore(0);

    void signal() {
        if (permits.availablePermits() == 0) {
            permits.release();
        }
    }

    /** Waits up to {@code timeout}; true if signalled. */
    boolean await(Duration timeout) throws InterruptedException {
        boolean signalled = permits.tryAcquire(Math.max(timeout.toMillis(), 0), TimeUnit.MILLISECONDS);
        permits.drainPermits();
        return signalled;
    }
}
