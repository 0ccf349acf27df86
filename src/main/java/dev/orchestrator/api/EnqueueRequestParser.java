package dev.orchestrator.api;

import dev.orchestrator.service.EnqueueBatchCommand;
import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.InvalidBatchException;
import dev.orchestrator.service.InvalidRequestException;
import dev.orchestrator.service.QueueService;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the body of {@code POST /api/jobs} (one job) and {@code POST /api/jobs/batch}
 * ({@code {"jobs": [...]}}) strictly: JSON objects with only the known fields, each of the right
 * type. Errors name the field ({@code jobs[3].priority} in a batch); unknown fields are errors, so a
 * typo such as "max_attempt" is caught instead of silently ignored.
 */
final class EnqueueRequestParser {
    static final Set<String> FIELDS = Set.of("agent", "repo", "payload", "priority", "max_attempts", "depends_on");
    static final Set<String> BATCH_ITEM_FIELDS = Set.of("agent", "repo", "payload", "priority", "max_attempts",
            "depends_on", "depends_on_index");
    private static final String KNOWN = "agent, repo, payload, priority, max_attempts, depends_on";

    /**
     * Looked up once: {@code Json.createParser} asks the {@code ServiceLoader} for a provider on
     * every call, a scan of the class path that showed in thread dumps under load.
     */
    private static final JsonParserFactory PARSERS = JsonProvider.provider().createParserFactory(Map.of());

    private EnqueueRequestParser() {
    }

    /**
     * The body as the client sent it, in bytes: decoded strictly as UTF-8 (invalid sequences and
     * encoded surrogates are refused, never replaced), then parsed refusing duplicate keys at any
     * depth and lone surrogate escapes, so that the stored payload is exactly what was sent.
     */
    static EnqueueCommand parse(byte[] body) {
        JsonValue root = read(body, false, "\"agent\" and \"repo\"");
        if (!(root instanceof JsonObject obj)) {
            throw new InvalidRequestException(null, "expected a JSON object, got " + root.getValueType());
        }
        for (String key : obj.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new InvalidRequestException(key, "unknown field '" + key + "'; known fields: " + KNOWN);
            }
        }
        return new EnqueueCommand(string(obj, "agent"), string(obj, "repo"), payload(obj),
                integer(obj, "priority"), integer(obj, "max_attempts"), ids(obj, "depends_on"));
    }

    /**
     * A batch, {@code {"jobs": [job, ...]}}: each job as for {@link #parse}, plus
     * {@code depends_on_index} (earlier items of the batch). Every item is read: the errors of all
     * bad items come back together in the command, for the service to answer with its own.
     */
    static EnqueueBatchCommand parseBatch(byte[] body) {
        JsonValue root = read(body, true, "\"jobs\"");
        if (!(root instanceof JsonObject obj)) {
            throw new InvalidRequestException(null, "expected a JSON object {\"jobs\": [...]}, got "
                    + root.getValueType());
        }
        for (String key : obj.keySet()) {
            if (!key.equals("jobs")) {
                throw new InvalidRequestException(key, "unknown field '" + key + "'; a batch is {\"jobs\": [...]}");
            }
        }
        JsonValue jobs = obj.get("jobs");
        if (!(jobs instanceof JsonArray array)) {
            throw new InvalidRequestException("jobs", "jobs is required: an array of 1.." + QueueService.MAX_BATCH_JOBS
                    + " jobs");
        }
        if (array.isEmpty() || array.size() > QueueService.MAX_BATCH_JOBS) {
            throw new InvalidRequestException("jobs", "jobs must hold 1.." + QueueService.MAX_BATCH_JOBS
                    + " jobs; it holds " + array.size());
        }
        List<EnqueueCommand> commands = new ArrayList<>(array.size());
        List<InvalidBatchException.ItemError> errors = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            commands.add(item(i, array.get(i), errors));
        }
        return new EnqueueBatchCommand(commands, errors);
    }

    private static EnqueueCommand item(int i, JsonValue value, List<InvalidBatchException.ItemError> errors) {
        if (!(value instanceof JsonObject obj)) {
            errors.add(InvalidBatchException.ItemError.of(i, null, "each job must be a JSON object, got "
                    + value.getValueType()));
            return null;
        }
        int before = errors.size();
        for (String key : obj.keySet()) {
            if (!BATCH_ITEM_FIELDS.contains(key)) {
                errors.add(InvalidBatchException.ItemError.of(i, key, "unknown field '" + key + "'; known fields: "
                        + KNOWN + ", depends_on_index"));
            }
        }
        String agent = field(i, errors, () -> string(obj, "agent"));
        String repo = field(i, errors, () -> string(obj, "repo"));
        String payload = field(i, errors, () -> payload(obj));
        Integer priority = field(i, errors, () -> integer(obj, "priority"));
        Integer maxAttempts = field(i, errors, () -> integer(obj, "max_attempts"));
        List<Long> dependsOn = field(i, errors, () -> ids(obj, "depends_on"));
        List<Integer> dependsOnIndex = field(i, errors, () -> indexes(obj, "depends_on_index"));
        return errors.size() > before ? null
                : new EnqueueCommand(agent, repo, payload, priority, maxAttempts, dependsOn, dependsOnIndex);
    }

    private static <T> T field(int i, List<InvalidBatchException.ItemError> errors,
                               java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (InvalidRequestException e) {
            errors.add(InvalidBatchException.ItemError.of(i, e.field(), e.getMessage()));
            return null;
        }
    }

    private static JsonValue read(byte[] body, boolean batch, String expected) {
        String text = decodeUtf8(body == null ? new byte[0] : body);
        if (text.isBlank()) {
            throw new InvalidRequestException(null, "request body is empty; expected a JSON object with " + expected);
        }
        try (JsonParser parser = PARSERS.createParser(new StringReader(text))) {
            checkStrictly(parser, batch);
        } catch (InvalidRequestException e) {
            throw e;
        } catch (JsonParsingException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        }
        try (JsonParser parser = PARSERS.createParser(new StringReader(text))) {
            parser.next();
            return parser.getValue();
        } catch (RuntimeException e) {
            throw new InvalidRequestException(null, "malformed JSON: " + e.getMessage());
        }
    }

    private static String payload(JsonObject obj) {
        JsonValue payload = obj.get("payload");
        return payload == null || payload.getValueType() == JsonValue.ValueType.NULL ? null : payload.toString();
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

    /** Where the parser is: an object (its keys so far, the current key) or an array (the current index). */
    private static final class Frame {
        final Set<String> keys;
        String key;
        int index = -1;

        Frame(boolean object) {
            this.keys = object ? new HashSet<>() : null;
        }
    }

    /**
     * One pass over the events: exactly one JSON value, no key twice in one object (at any depth,
     * the payload included) and no unpaired surrogate in any key or string. A duplicate is named
     * by the field it is in: the top-level key, or {@code jobs[i].key} inside a batch's item.
     */
    private static void checkStrictly(JsonParser parser, boolean batch) {
        Deque<Frame> frames = new ArrayDeque<>();
        boolean seenRoot = false;
        while (parser.hasNext()) {
            JsonParser.Event event = parser.next();
            if (frames.isEmpty()) {
                if (seenRoot) {
                    throw new InvalidRequestException(null, "malformed JSON: unexpected content after the JSON value");
                }
                seenRoot = true;
            }
            if (event != JsonParser.Event.KEY_NAME && event != JsonParser.Event.END_OBJECT
                    && event != JsonParser.Event.END_ARRAY && !frames.isEmpty() && frames.peek().keys == null) {
                frames.peek().index++; // a value in an array
            }
            switch (event) {
                case START_OBJECT -> frames.push(new Frame(true));
                case START_ARRAY -> frames.push(new Frame(false));
                case END_OBJECT, END_ARRAY -> frames.pop();
                case KEY_NAME -> {
                    String key = parser.getString();
                    checkSurrogates(key, "a key");
                    Frame top = frames.peek();
                    if (!top.keys.add(key)) {
                        int depth = frames.size();
                        throw new InvalidRequestException(fieldOf(frames, key, batch), "duplicate key '" + key + "'"
                                + (depth == (batch ? 3 : 1) ? "" : " inside a nested object")
                                + "; each key may appear once per object");
                    }
                    top.key = key;
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

    /** The field a duplicate {@code key} belongs to, from the outermost frames. */
    private static String fieldOf(Deque<Frame> frames, String key, boolean batch) {
        List<Frame> path = new ArrayList<>(frames);
        java.util.Collections.reverse(path); // outermost first
        String top = path.size() == 1 ? key : path.get(0).key;
        if (!batch || !"jobs".equals(top) || path.size() < 3 || path.get(1).keys != null) {
            return top;
        }
        String itemField = path.size() == 3 ? key : path.get(2).key;
        return "jobs[" + path.get(1).index + "]." + itemField;
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

    private static List<Long> ids(JsonObject obj, String field) {
        JsonValue v = obj.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof JsonArray array)) {
            throw new InvalidRequestException(field, field + " must be an array of job ids");
        }
        List<Long> ids = new ArrayList<>();
        for (JsonValue e : array) {
            if (!(e instanceof JsonNumber n) || !n.isIntegral() || n.bigIntegerValue().signum() <= 0
                    || n.bigIntegerValue().bitLength() > 62) {
                throw new InvalidRequestException(field, field + " must hold positive whole job ids");
            }
            ids.add(n.longValue());
        }
        return ids;
    }

    private static List<Integer> indexes(JsonObject obj, String field) {
        JsonValue v = obj.get(field);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return null;
        }
        if (!(v instanceof JsonArray array)) {
            throw new InvalidRequestException(field, field + " must be an array of indexes of earlier jobs of "
                    + "the batch");
        }
        List<Integer> indexes = new ArrayList<>();
        for (JsonValue e : array) {
            if (!(e instanceof JsonNumber n) || !n.isIntegral() || n.bigIntegerValue().signum() < 0
                    || n.bigIntegerValue().bitLength() > 31) {
                throw new InvalidRequestException(field, field + " must hold indexes (whole numbers from 0) of "
                        + "earlier jobs of the batch");
            }
            indexes.add(n.intValue());
        }
        return indexes;
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
