package dev.orchestrator.api;

import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.util.Set;

/**
 * Parses the body of {@code POST /api/jobs} strictly: a JSON object with only the known fields,
 * each of the right type. Errors name the field; unknown fields are errors, so a typo such as
 * "max_attempt" is caught instead of silently ignored.
 */
final class EnqueueRequestParser {
    static final Set<String> FIELDS = Set.of("agent", "repo", "payload", "priority", "max_attempts", "depends_on");

    private EnqueueRequestParser() {
    }

    static EnqueueCommand parse(String body) {
        if (body == null || body.isBlank()) {
            throw new InvalidRequestException(null, "request body is empty; expected a JSON object with "
                    + "\"agent\" and \"repo\"");
        }
        JsonValue root;
        try (JsonParser parser = Json.createParser(new StringReader(body))) {
            parser.next();
            root = parser.getValue();
            if (parser.hasNext()) {
                throw new InvalidRequestException(null, "malformed JSON: unexpected content after the JSON value");
            }
        } catch (InvalidRequestException e) {
            throw e;
        } catch (JsonParsingException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        }
        if (!(root instanceof JsonObject obj)) {
            throw new InvalidRequestException(null, "expected a JSON object, got " + root.getValueType());
        }
        for (String key : obj.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new InvalidRequestException(key, "unknown field '" + key + "'; known fields: "
                        + "agent, repo, payload, priority, max_attempts, depends_on");
            }
        }
        JsonValue payload = obj.get("payload");
        String payloadJson = payload == null ? null : payload.toString();
        if (payload != null && payload.getValueType() == JsonValue.ValueType.NULL) {
            payloadJson = null;
        }
        return new EnqueueCommand(string(obj, "agent"), string(obj, "repo"), payloadJson,
                integer(obj, "priority"), integer(obj, "max_attempts"), ids(obj, "depends_on"));
    }

    private static java.util.List<Long> ids(JsonObject obj, String field) {
        JsonValue v = obj.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof jakarta.json.JsonArray array)) {
            throw new InvalidRequestException(field, field + " must be an array of job ids");
        }
        java.util.List<Long> ids = new java.util.ArrayList<>();
        for (JsonValue e : array) {
            if (!(e instanceof JsonNumber n) || !n.isIntegral() || n.bigIntegerValue().signum() <= 0
                    || n.bigIntegerValue().bitLength() > 62) {
                throw new InvalidRequestException(field, field + " must hold positive whole job ids");
            }
            ids.add(n.longValue());
        }
        return ids;
    }

    private static String string(JsonObject obj, String field) {
        JsonValue v = obj.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof JsonString s)) {
            throw new InvalidRequestException(field, field + " must be a string");
        }
        return s.getString();
    }

    private static Integer integer(JsonObject obj, String field) {
        JsonValue v = obj.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof JsonNumber n) || !n.isIntegral()) {
            throw new InvalidRequestException(field, field + " must be a whole number");
        }
        try {
            return n.bigIntegerValueExact().intValueExact();
        } catch (ArithmeticException e) {
            throw new InvalidRequestException(field, field + " is out of range");
        }
    }
}
