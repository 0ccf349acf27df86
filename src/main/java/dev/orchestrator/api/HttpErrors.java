package dev.orchestrator.api;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every error answer (4xx, 5xx) the application gives, by status, handed to listeners (the metrics
 * in boot). Fed by {@link HttpErrorFilter} for everything that passes the servlet filters, and by
 * {@link BearerTokenMechanism} for its 401s, which are written before any filter runs. Each answer is
 * counted once: the mechanism marks the request it counted.
 */
@ApplicationScoped
public class HttpErrors {
    private static final Logger LOG = Logger.getLogger(HttpErrors.class.getName());

    /** Request attribute set once a request's error answer was counted. */
    static final String COUNTED = HttpErrors.class.getName() + ".counted";

    private final List<IntConsumer> listeners = new CopyOnWriteArrayList<>();

    public void listen(IntConsumer listener) {
        listeners.add(listener);
    }

    public void unlisten(IntConsumer listener) {
        listeners.remove(listener);
    }

    /** Counts {@code status} if it is an error status (400 to 599). */
    public void record(int status) {
        if (status < 400 || status > 599) {
            return;
        }
        for (IntConsumer l : listeners) {
            try {
                l.accept(status);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "HTTP error listener failed", e);
            }
        }
    }
}
