package dev.orchestrator.jmx;

import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A JMX client (JConsole) has none of the application's classes: an exception of the
 * application's, or one whose cause is, reaches it as an unreadable {@code UnmarshalException}.
 * Every call of the console passes through here: the JDK exceptions the beans throw on purpose
 * (bad input, refused action) pass as they are; anything else is logged with its stack and
 * handed on as an {@link IllegalStateException} carrying only its message.
 */
final class JmxErrors {
    private static final Logger LOG = Logger.getLogger(JmxErrors.class.getName());

    private JmxErrors() {
    }

    static <T> T clean(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (IllegalArgumentException | IllegalStateException | SecurityException e) {
            if (e.getCause() == null && e.getClass().getName().startsWith("java.")) {
                throw e;
            }
            throw handOn(what, e);
        } catch (RuntimeException | Error e) {
            throw handOn(what, e);
        }
    }

    private static IllegalStateException handOn(String what, Throwable e) {
        LOG.log(Level.WARNING, "JMX: " + what + " failed", e);
        return new IllegalStateException(what + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                + " (see the server log)");
    }
}
