package dev.orchestrator.run;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.store.ClaimStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

    private final NodeContext node;
    private final ClaimStore claims;
    private final RunStarter starter;
    private final ClaimPolicy policy;
    private final Duration pollInterval;
    private final int parallelStarts;
    private final WakeSignal signal = new WakeSignal();
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean stopping;
    private volatile boolean paused;
    private Thread thread;

    /**
     * @param parallelStarts how many starts of claimed jobs run at once on the node's executor, so
     *                       that the next claim does not wait for the previous spawn
     */
    public Dispatcher(NodeContext node, ClaimStore claims, RunStarter starter, ClaimPolicy policy,
                      Duration pollInterval, int parallelStarts) {
        this.node = node;
        this.claims = claims;
        this.starter = starter;
        this.policy = policy;
        this.pollInterval = pollInterval;
        this.parallelStarts = Math.max(1, parallelStarts);
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
        boolean signalled = true;
        while (!stopping) {
            Duration wait = pollInterval;
            try {
                Pass pass = drain(!signalled);
                wait = pass.mayHaveWaitingWork() ? untilNextAvailable() : pollInterval;
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                LOG.log(Level.WARNING, "dispatcher pass failed; retrying in " + pollInterval.toMillis() + " ms", e);
            }
            try {
                signalled = signal.await(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("dispatcher stopped");
    }

    /**
     * What a pass did: how many jobs it claimed, and whether it stopped with a slot of this node
     * still free (then a backed-off job may be what it waits for; else a freed slot wakes it).
     */
    record Pass(int claimed, boolean mayHaveWaitingWork) {
    }

    /**
     * Claims and starts jobs until no slot or no eligible job is left; returns how many were claimed.
     * See {@link #drain(boolean)}.
     */
    public int drain() {
        return drain(false).claimed();
    }

    /**
     * Claims and starts jobs until no slot or no eligible job is left. Each claim transaction takes
     * as many jobs as this node has slots and starts free ({@link ClaimStore#claimAndAttach}: one
     * claim lock, one commit, the runs attached in it); the starts run beside the next claims on the
     * node's executor, at most {@code parallelStarts} at once. Returns only when every start it began
     * has finished, so a stop never races a start.
     *
     * <p>How many slots are free is a hint from this node's own view: the runs it watches and the
     * starts in flight. Every claim still checks capacity and every gate in the database, so the hint
     * only saves the claim that would find every slot taken. It never counts too few (a run leaves
     * {@link ActiveRuns} after its end was recorded, then frees its slot with a wake-up); should it
     * count too many, {@code force} (the poll interval passed without a wake-up) still tries one claim.
     */
    Pass drain(boolean force) {
        int claimed = 0;
        boolean slotLeft = true;
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();
        RuntimeException failure = null;
        try {
            while (!stopping && !paused) {
                inFlight.removeIf(CompletableFuture::isDone);
                int free = Math.min(policy.maxConcurrency() - starter.watching() - inFlight.size(),
                        parallelStarts - inFlight.size());
                if (free <= 0) {
                    if (!inFlight.isEmpty()) {
                        CompletableFuture.anyOf(inFlight.toArray(CompletableFuture[]::new)).exceptionally(e -> null)
                                .join();
                        continue;
                    }
                    if (!force) {
                        slotLeft = false; // every slot holds a run of this node: its end wakes the dispatcher
                        break;
                    }
                    free = 1;
                }
                force = false;
                List<ClaimStore.ClaimedRun> batch = claims.claimAndAttach(node.identity(), node.clock().instant(),
                        policy, free, starter.logFiles());
                boolean last = batch.size() < free; // no eligible job left, or no free slot in the cluster
                for (int i = 0; i < batch.size(); i++) {
                    ClaimStore.ClaimedRun c = batch.get(i);
                    claimed++;
                    ClaimedJob job = c.job();
                    node.events().claimed(job.agent(), job.availableAt() == null || job.claimedAt() == null ? null
                            : Duration.between(job.availableAt(), job.claimedAt()));
                    if (last && i == batch.size() - 1) {
                        // the pass ends here and would only wait for its starts: start the last one on this
                        // thread, without the hand-over to the executor (an idle job starts sooner)
                        inFlight.add(startHere(c));
                    } else {
                        inFlight.add(CompletableFuture.runAsync(() -> starter.start(c), node.executor()));
                    }
                }
                if (last) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        for (CompletableFuture<Void> f : inFlight) {
            try {
                f.join();
            } catch (CompletionException | CancellationException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException r ? r : e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return new Pass(claimed, slotLeft);
    }

    private CompletableFuture<Void> startHere(ClaimStore.ClaimedRun c) {
        try {
            starter.start(c);
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Duration untilNextAvailable() {
        Instant now = node.clock().instant();
        return claims.nextAvailableAt(now)
                .map(at -> Duration.between(now, at).plusMillis(1))
                .filter(d -> d.compareTo(pollInterval) < 0)
                .orElse(pollInterval);
    }
}
