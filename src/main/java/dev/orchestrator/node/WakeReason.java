package dev.orchestrator.node;

import java.util.Locale;

/** Why a node wakes dispatchers: work may have become claimable. Named in the notification's payload. */
public enum WakeReason {
    /** A job was enqueued. */
    ENQUEUED,
    /** A run ended (finished, failed, cancelled, requeued, reaped): a slot, a repo or a dependency is free. */
    SLOT_FREED,
    /** An operator retried a failed or cancelled job. */
    RETRIED,
    /** An operator resumed claiming. */
    RESUMED,
    /** Running jobs were handed back to the queue (a node's stop, start-up recovery). */
    REQUEUED;

    /** As written in a payload. */
    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
