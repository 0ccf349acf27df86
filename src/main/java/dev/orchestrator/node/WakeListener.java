package dev.orchestrator.node;

import dev.orchestrator.store.WakeChannel;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Listens for other nodes' wake-ups on a dedicated connection and wakes this node's dispatcher.
 * One thread blocks in {@link WakeChannel.Subscription#await}; when the connection breaks it
 * reconnects with a bounded back-off, LISTENs again and then wakes the dispatcher once, because a
 * notification sent while nobody listened is lost: the table is the source of truth, and the
 * re-poll finds whatever was announced meanwhile. A notification this node sent itself is counted
 * and skipped: the node woke its own dispatcher in-JVM before it announced.
 */
final class WakeListener {
    private static final Logger LOG = Logger.getLogger(WakeListener.class.getName());
    static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final WakeChannel channel;
    private final String nodeId;
    private final Runnable wake;
    private final Duration idleCheck;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong notifications = new AtomicLong();
    private final AtomicLong own = new AtomicLong();
    private volatile boolean stopping;
    private volatile WakeChannel.Subscription current;
    private volatile String lastError;
    private volatile Thread thread;

    /**
     * @param wake      wakes the dispatcher (in-JVM)
     * @param idleCheck how long a wait lasts before the connection is checked with a round trip
     */
    WakeListener(WakeChannel channel, String nodeId, Runnable wake, Duration idleCheck) {
        this.channel = channel;
        this.nodeId = nodeId;
        this.wake = wake;
        this.idleCheck = idleCheck;
    }

    synchronized void start(ThreadFactory threads) {
        if (thread != null) {
            throw new IllegalStateException("wake-up listener already started");
        }
        thread = threads.newThread(this::loop);
        thread.setName("orchestrator-wake-listener");
        thread.setDaemon(true);
        thread.start();
    }

    /** Ends the wait at once (drops the connection) and waits up to {@code timeout} for the thread to end. */
    void stop(Duration timeout) {
        stopping = true;
        stopped.countDown();
        WakeChannel.Subscription s = current;
        if (s != null) {
            s.abort();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warning("the wake-up listener thread did not end within " + timeout.toMillis() + " ms");
            }
        }
    }

    NodeWakeups.Status status(long sent, long sendFailures) {
        WakeChannel.Subscription s = current;
        Thread t = thread;
        return new NodeWakeups.Status(true, s != null, t != null && t.isAlive(), reconnects.get(),
                notifications.get(), own.get(), sent, sendFailures, s == null ? null : s.backendPid(), lastError);
    }

    private void loop() {
        Duration backoff = MIN_BACKOFF;
        boolean first = true;
        boolean quiet = false; // one warning per outage, then quiet until connected again
        while (!stopping) {
            try (WakeChannel.Subscription s = channel.listen()) {
                current = s;
                if (stopping) {
                    break; // stop() may have missed this connection: it closes here
                }
                if (first) {
                    LOG.log(Level.INFO, "listening for other nodes'' wake-ups on channel {0}", WakeChannel.CHANNEL);
                } else {
                    reconnects.incrementAndGet();
                    LOG.log(Level.INFO, "wake-up listener reconnected; looking for work announced meanwhile");
                }
                first = false;
                quiet = false;
                backoff = MIN_BACKOFF;
                lastError = null;
                wake.run(); // the re-poll: whatever was announced while nobody listened
                listen(s);
            } catch (SQLException | RuntimeException e) {
                if (stopping) {
                    break;
                }
                current = null;
                lastError = e.getMessage();
                LOG.log(quiet ? Level.FINE : Level.WARNING, "wake-up listener has no connection (" + e.getMessage()
                        + "); other nodes' work is found by polling until it reconnects (next try in "
                        + backoff.toMillis() + " ms)");
                quiet = true;
                try {
                    if (stopped.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            } finally {
                current = null;
            }
        }
        LOG.fine("wake-up listener stopped");
    }

    private void listen(WakeChannel.Subscription s) throws SQLException {
        while (!stopping) {
            List<String> payloads = s.await(idleCheck);
            if (payloads.isEmpty()) {
                s.ping(idleCheck);
                continue;
            }
            notifications.addAndGet(payloads.size());
            boolean foreign = false;
            for (String p : payloads) {
                if (WakeAnnouncer.sentBy(p, nodeId)) {
                    own.incrementAndGet();
                } else {
                    foreign = true;
                }
            }
            if (foreign) {
                wake.run();
            }
        }
    }
}
