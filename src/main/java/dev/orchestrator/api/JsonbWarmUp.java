package dev.orchestrator.api;

import jakarta.annotation.Priority;
import jakarta.json.bind.Jsonb;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.Providers;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Resolves the application's {@link Jsonb} once, on one thread, before any request reads or writes
 * JSON. Payara 6 puts its own {@code ContextResolver<Jsonb>} ({@code org.glassfish.weld.JaxRSJsonContextResolver})
 * in front of {@link JsonbConfiguration}; the first time it is asked for a type it instantiates the
 * application's resolver classes from a plain {@code ArrayList} and then clears the list, without a
 * lock. Two first requests that need JSON for different types at once race on that list: one got a
 * {@code ConcurrentModificationException}, and a {@code 500} for a POST whose jobs had been committed
 * (seen right after a start, bench/README.md); the other outcome of the race caches the default
 * {@code Jsonb} (camelCase, no nulls) for a type for the life of the application. Once the list has
 * been emptied it is only read, so one resolution before the first entity is read or written closes
 * the race. A pre-matching request filter runs before both; after the first request it costs one
 * volatile read.
 */
@Provider
@PreMatching
@Priority(0) // before every other filter
public class JsonbWarmUp implements ContainerRequestFilter {
    private static final Logger LOG = Logger.getLogger(JsonbWarmUp.class.getName());
    private static final Object LOCK = new Object();
    private static volatile boolean warm;

    @Context
    Providers providers;

    @Override
    public void filter(ContainerRequestContext request) {
        if (!warm) {
            warmOnce(providers, JsonbConfiguration.JSONB);
        }
    }

    /**
     * Resolves the JSON context once per application (class loader); later calls return at once.
     * {@code expected}: the instance the application configured, which the resolution should return.
     */
    static void warmOnce(Providers providers, Jsonb expected) {
        synchronized (LOCK) {
            if (warm) {
                return;
            }
            ContextResolver<Jsonb> resolver = providers.getContextResolver(Jsonb.class,
                    MediaType.APPLICATION_JSON_TYPE);
            Jsonb resolved = resolver == null ? null : resolver.getContext(Object.class);
            if (resolved != expected) {
                LOG.log(Level.SEVERE, "JSON: the container resolved {0} instead of the application''s JSON-B "
                        + "configuration; responses may not be snake_case", resolved);
            } else {
                LOG.fine("JSON: the JSON-B context is resolved, before the first request reads or writes JSON");
            }
            warm = true;
        }
    }

    /** For tests: forget the warm-up. */
    static void reset() {
        synchronized (LOCK) {
            warm = false;
        }
    }
}
