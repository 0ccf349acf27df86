package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.json.bind.Jsonb;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Providers;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JSON-B warm-up: the container's resolver is asked exactly once, for application/json, however
 * many first requests arrive together; later requests never ask it again.
 */
class JsonbWarmUpTest {
    /** Stands for the application's Jsonb (the tests' class path has no JSON-B implementation). */
    private static final Jsonb CONFIGURED = (Jsonb) java.lang.reflect.Proxy.newProxyInstance(
            Jsonb.class.getClassLoader(), new Class<?>[] {Jsonb.class}, (proxy, method, args) -> {
                throw new UnsupportedOperationException(method.getName());
            });

    private final AtomicInteger resolutions = new AtomicInteger();
    private final List<MediaType> askedFor = new ArrayList<>();

    /**
     * A resolver that, like Payara's, must not be entered by two threads at once the first time: the
     * first caller waits a bounded moment for a second one to come in, and fails if one does.
     */
    private final CountDownLatch entered = new CountDownLatch(2);
    private final ContextResolver<Jsonb> resolver = type -> {
        entered.countDown();
        try {
            if (entered.await(200, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("entered by two threads at once");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        resolutions.incrementAndGet();
        return CONFIGURED;
    };

    private final Providers providers = new Providers() {
        @Override
        @SuppressWarnings("unchecked")
        public <T> ContextResolver<T> getContextResolver(Class<T> contextType, MediaType mediaType) {
            synchronized (askedFor) {
                askedFor.add(mediaType);
            }
            return contextType == Jsonb.class ? (ContextResolver<T>) resolver : null;
        }

        @Override
        public <T> MessageBodyReader<T> getMessageBodyReader(Class<T> type, Type genericType, Annotation[] a,
                                                             MediaType mediaType) {
            return null;
        }

        @Override
        public <T> MessageBodyWriter<T> getMessageBodyWriter(Class<T> type, Type genericType, Annotation[] a,
                                                             MediaType mediaType) {
            return null;
        }

        @Override
        public <T extends Throwable> ExceptionMapper<T> getExceptionMapper(Class<T> type) {
            return null;
        }
    };

    @BeforeEach
    @AfterEach
    void forget() {
        JsonbWarmUp.reset();
    }

    /** What the filter does on a request of the application (its {@code filter} passes the configured Jsonb). */
    private Runnable filter() {
        return () -> JsonbWarmUp.warmOnce(providers, CONFIGURED);
    }

    @Test
    void the_first_request_resolves_the_json_context_for_application_json_and_later_ones_do_not() {
        filter().run();
        filter().run();
        filter().run();

        assertThat(resolutions).hasValue(1);
        assertThat(askedFor).containsExactly(MediaType.APPLICATION_JSON_TYPE);
    }

    @Test
    void first_requests_arriving_together_resolve_it_once_and_never_concurrently() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Runnable f = filter();
                calls.add(pool.submit(() -> {
                    go.await();
                    f.run();
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> c : calls) {
                c.get(10, TimeUnit.SECONDS); // rethrows "entered by two threads at once"
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(resolutions).hasValue(1);
    }
}
