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
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
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

    /**
     * The body as the client sent it, in bytes: decoded strictly as UTF-8 (invalid sequences and
     * encoded surrogates are refused, never replaced), then parsed refusing duplicate keys at any
     * depth and lone surrogate escapes, so that the stored payload is exactly what was sent.
     */
    static EnqueueCommand parse(byte[] body) {
        String text = decodeUtf8(body == null ? new byte[0] : body);
        if (text.isBlank()) {
            throw new InvalidRequestException(null, "request body is empty; expected a JSON object with "
                    + "\"agent\" and \"repo\"");
        }
        JsonValue root;
        try (JsonParser parser = Json.createParser(new StringReader(text))) {
            checkStrictly(parser);
        } catch (InvalidRequestException e) {
            throw e;
        } catch (JsonParsingException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        }
        try (JsonParser parser = Json.createParser(new StringReader(text))) {
            parser.next();
            root = parser.getValue();
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

    private static String decodeUtf8(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException(null, "request body is not valid UTF-8 (invalid byte sequence "
                    + "or encoded surrogate); send the JSON as UTF-8");
        }
    }

    /**
     * One pass over the events: exactly one JSON value, no key twice in one object (at any depth,
     * the payload included) and no unpaired surrogate in any key or string.
     */
    private static void checkStrictly(JsonParser parser) {
        Deque<Set<String>> keys = new ArrayDeque<>();
        Deque<String> path = new ArrayDeque<>();
        int depth = 0;
        boolean seenRoot = false;
        while (parser.hasNext()) {
            JsonParser.Event event = parser.next();
            if (depth == 0) {
                if (seenRoot) {
                    throw new InvalidRequestException(null, "malformed JSON: unexpected content after the JSON value");
                }
                seenRoot = true;
            }
            switch (event) {
                case START_OBJECT -> {
                    keys.push(new HashSet<>());
                    depth++;
                }
                case START_ARRAY -> {
                    keys.push(Set.of());
                    depth++;
                }
                case END_OBJECT, END_ARRAY -> {
                    keys.pop();
                    depth--;
                }
                case KEY_NAME -> {
                    String key = parser.getString();
                    checkSurrogates(key, "a key");
                    if (!keys.peek().add(key)) {
                        String field = depth == 1 ? key : null;
                        throw new InvalidRequestException(field == null ? "payload" : field,
                                "duplicate key '" + key + "'" + (depth == 1 ? "" : " inside a nested object")
                                        + "; each key may appear once per object");
                    }
                }
                case VALUE_STRING -> checkSurrogates(parser.getString(), "a string");
                default -> {
                }
            }
        }
        if (!seenRoot) {
            throw new InvalidRequestException(null, "malformed JSON: no JSON value");
        }
    }

    private static void checkSurrogates(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidRequestException(null, "malformed JSON: " + what + " holds a lone surrogate "
                        + String.format("\\u%04x", (int) c) + " (not a Unicode character)");
            }
        }
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
