package dev.orchestrator.application;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.infrastructure.persistence.JobStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Claims and starts jobs while slots are free. Woken at once by an enqueue or a finished run;
 * otherwise it wakes at its poll interval or when the next backed-off job becomes available.
 */
public class Dispatcher {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());

    private final JobStore store;
    private final RunStarter starter;
    private final NodeIdentity node;
    private final Clock clock;
    private final ClaimPolicy policy;
    private final Duration pollInterval;
    private final QueueEvents events;
    private final WakeSignal signal = new WakeSignal();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean stopping;
    private volatile boolean paused;
    private Thread thread;

    public Dispatcher(JobStore store, RunStarter starter, NodeIdentity node, Clock clock, ClaimPolicy policy,
                      Duration pollInterval, QueueEvents events) {
        this.store = store;
        this.starter = starter;
        this.node = node;
        this.clock = clock;
        this.policy = policy;
        this.pollInterval = pollInterval;
        this.events = events;
    }

    public int maxConcurrency() {
        return policy.maxConcurrency();
    }

    public ClaimPolicy policy() {
        return policy;
    }

    public synchronized void start(ThreadFactory threads) {
        if (thread != null) {
            throw new IllegalStateException("dispatcher already started");
        }
        thread = threads.newThread(this::loop);
        thread.setName("orchestrator-dispatcher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Something changed (job enqueued, slot freed): look for work now. */
    public void wake() {
        signal.signal();
    }

    /** Stops claiming; waits up to {@code timeout} for the loop to end. Running processes are untouched. */
    public void stop(Duration timeout) {
        stopping = true;
        signal.signal();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops claiming until {@link #resume()} (a fenced node); running processes are untouched. */
    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
        wake();
    }

    public boolean isPaused() {
        return paused;
    }

    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive() && !stopping;
    }

    public long errors() {
        return errors.get();
    }

    private void loop() {
        LOG.log(Level.INFO, "dispatcher started on node {0}: {1}", new Object[] {node.id(), policy});
        while (!stopping) {
            Duration wait = pollInterval;
            try {
                drain();
                wait = untilNextAvailable();
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                LOG.log(Level.WARNING, "dispatcher pass failed; retrying in " + pollInterval.toMillis() + " ms", e);
            }
            try {
                signal.await(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("dispatcher stopped");
    }

    /** Claims and starts jobs until no slot or no eligible job is left; returns how many started. */
    public int drain() {
        int started = 0;
        while (!stopping && !paused) {
            Optional<ClaimedJob> claim = store.claimNext(node.id(), clock.instant(), policy);
            if (claim.isEmpty()) {
                break;
            }
            events.record(QueueEvent.CLAIMED);
            starter.start(claim.get());
            started++;
        }
        return started;
    }

    private Duration untilNextAvailable() {
        Instant now = clock.instant();
        return store.nextAvailableAt(now)
                .map(at -> Duration.between(now, at).plusMillis(1))
                .filter(d -> d.compareTo(pollInterval) < 0)
                .orElse(pollInterval);
    }
}
