package dev.orchestrator.jmx;

import java.util.function.Supplier;

/**
 * Runs work with the application's container context (naming, class loader, CDI, JTA). JMX calls
 * arrive on RMI threads that have none, and the entity path of {@code JobControl} (JPA under
 * {@code @Transactional}) needs it; {@code boot} supplies a contextual proxy of this interface,
 * made on a container thread at start-up.
 */
public interface InContainer {
    <T> T call(Supplier<T> work);

    /** Runs the work directly on the calling thread (tests, and calls that need no container). */
    static InContainer direct() {
        return new Direct();
    }

    /** The plain implementation behind the container's contextual proxy. */
    final class Direct implements InContainer {
        @Override
        public <T> T call(Supplier<T> work) {
            return work.get();
        }
    }
}
