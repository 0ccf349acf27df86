package dev.orchestrator.api;

import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.logging.Level;
import java.util.logging.Logger;

/** What the log streams and the event streams share: closing a sink, and JSON fields that may be null. */
final class SseSupport {
    private static final Logger LOG = Logger.getLogger(SseSupport.class.getName());

    private SseSupport() {
    }

    /** Closes a stream's sink; a client that already went away is not an error. */
    static void closeQuietly(SseEventSink sink) {
        try {
            sink.close();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "closing a stream", e);
        }
    }

    /** {@code name: value}, or {@code name: null}. */
    static void text(JsonObjectBuilder b, String name, String value) {
        if (value == null) {
            b.addNull(name);
        } else {
            b.add(name, value);
        }
    }

    /** {@code name: value}, or {@code name: null}. */
    static void number(JsonObjectBuilder b, String name, Long value) {
        if (value == null) {
            b.addNull(name);
        } else {
            b.add(name, value);
        }
    }
}
