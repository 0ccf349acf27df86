package dev.orchestrator.run;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import dev.orchestrator.domain.run.RunOutcome;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Counters of {@link QueueEvent}s since this node started, of the runs this node finished by agent
 * and {@link RunOutcome}, and the hook that metrics listen on. Thread-safe. A listener that throws
 * is logged and never disturbs the queue.
 */
public final class QueueEvents {
    private static final Logger LOG = Logger.getLogger(QueueEvents.class.getName());

    /**
     * Told of every event as it is recorded; claims and run finishes also carry the agent and a
     * duration. Called on the recording thread: keep it quick.
     */
    public interface Listener {
        /** {@code n} events of this kind happened. */
        default void recorded(QueueEvent event, long n) {
        }

        /** A job of {@code agent} was claimed {@code waited} after it became claimable (null: unknown). */
        default void claimed(String agent, Duration waited) {
        }

        /**
         * A run of {@code agent} ended its job's attempt with {@code outcome} (SUCCEEDED,
         * TRANSIENT_REQUEUED, RETRIED, FAILED, CANCELLED or ABANDONED) after running for {@code ran}
         * (null: unknown).
         */
        default void finished(String agent, QueueEvent outcome, Duration ran) {
        }
    }

    private final AtomicLongArray counts = new AtomicLongArray(QueueEvent.values().length);
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public void unlisten(Listener listener) {
        listeners.remove(listener);
    }
    private final Map<String, AtomicLongArray> finishes = new ConcurrentHashMap<>();

    public void record(QueueEvent event) {
        record(event, 1);
    }

    public void record(QueueEvent event, long n) {
        counts.addAndGet(event.ordinal(), n);
        for (Listener l : listeners) {
            try {
                l.recorded(event, n);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "queue event listener failed on " + event.key(), e);
            }
        }
    }

    /** A claim: counted as {@link QueueEvent#CLAIMED}, and told to listeners with its agent and wait. */
    public void claimed(String agent, Duration waited) {
        record(QueueEvent.CLAIMED);
        for (Listener l : listeners) {
            try {
                l.claimed(agent, waited);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "queue event listener failed on a claim", e);
            }
        }
    }

    /** A run's end: counted as {@code outcome}, and told to listeners with its agent and run time. */
    public void finished(String agent, QueueEvent outcome, Duration ran) {
        record(outcome);
        for (Listener l : listeners) {
            try {
                l.finished(agent, outcome, ran);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "queue event listener failed on a finish", e);
            }
        }
    }

    public long count(QueueEvent event) {
        return counts.get(event.ordinal());
    }

    /** A run of {@code agent} (null: unknown) ended with {@code outcome}. */
    public void finished(String agent, RunOutcome outcome) {
        finishes.computeIfAbsent(agent == null ? "" : agent, a -> new AtomicLongArray(RunOutcome.values().length))
                .incrementAndGet(outcome.ordinal());
    }

    /** Runs of {@code agent} this node finished with {@code outcome}. */
    public long finishes(String agent, RunOutcome outcome) {
        AtomicLongArray a = finishes.get(agent);
        return a == null ? 0 : a.get(outcome.ordinal());
    }
}
