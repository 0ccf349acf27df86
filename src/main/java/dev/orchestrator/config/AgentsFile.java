package dev.orchestrator.config;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the agents file ({@code ORCH_AGENTS_FILE}):
 * <pre>{"agents": {"NAME": {"command": ["argv0", "arg1"], "timeout_seconds": 3600,
 *                           "env": {"K": "V"}, "transient_exit_codes": [75], "max_concurrency": 2}}}</pre>
 * Strict: unknown keys, wrong types and empty commands are errors naming the file and the path
 * of the offending value, so a typo never silently changes what runs.
 */
public final class AgentsFile {
    /** One year: longer is a mistake, and far beyond it the deadline arithmetic would overflow. */
    static final long MAX_TIMEOUT_SECONDS = 365L * 24 * 3600;

    static final Pattern AGENT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Set<String> AGENT_KEYS = Set.of("command", "timeout_seconds", "env", "transient_exit_codes",
            "max_concurrency");

    private AgentsFile() {
    }

    public static AgentCatalog load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigurationException("ORCH_AGENTS_FILE=" + file + ": no such file");
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); JsonReader jr = Json.createReader(r)) {
            return parse(jr.readValue(), file.toString());
        } catch (JsonParsingException e) {
            throw new ConfigurationException("ORCH_AGENTS_FILE=" + file + ": malformed JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ConfigurationException("ORCH_AGENTS_FILE=" + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static AgentCatalog parse(JsonValue root, String origin) {
        String where = "ORCH_AGENTS_FILE=" + origin + ": ";
        if (!(root instanceof JsonObject top) || !(top.get("agents") instanceof JsonObject agents)
                || top.size() != 1) {
            throw new ConfigurationException(where + "expected {\"agents\": {NAME: {...}}} at the top level");
        }
        Map<String, AgentDefinition> defs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> e : agents.entrySet()) {
            String name = e.getKey();
            String at = where + "agents." + name;
            if (!AGENT_NAME.matcher(name).matches()) {
                throw new ConfigurationException(at + ": agent names must match " + AGENT_NAME.pattern());
            }
            if (!(e.getValue() instanceof JsonObject spec)) {
                throw new ConfigurationException(at + ": expected an object");
            }
            for (String key : spec.keySet()) {
                if (!AGENT_KEYS.contains(key)) {
                    throw new ConfigurationException(at + ": unknown key '" + key + "' (known: " + AGENT_KEYS + ")");
                }
            }
            defs.put(name, new AgentDefinition(name, command(spec, at), timeout(spec, at), env(spec, at),
                    transientCodes(spec, at), limit(spec, at)));
        }
        return new AgentCatalog(defs);
    }

    private static List<String> command(JsonObject spec, String at) {
        if (!(spec.get("command") instanceof JsonArray array) || array.isEmpty()) {
            throw new ConfigurationException(at + ".command: expected a non-empty array of strings (argv)");
        }
        List<String> argv = new ArrayList<>();
        for (JsonValue v : array) {
            if (!(v instanceof JsonString s)) {
                throw new ConfigurationException(at + ".command: every element must be a string");
            }
            argv.add(s.getString());
        }
        if (argv.get(0).isBlank()) {
            throw new ConfigurationException(at + ".command[0]: the executable must not be blank");
        }
        return argv;
    }

    private static Duration timeout(JsonObject spec, String at) {
        JsonValue v = spec.get("timeout_seconds");
        if (v == null) {
            return AgentDefinition.DEFAULT_TIMEOUT;
        }
        return Duration.ofSeconds(wholeNumber(v, 1, MAX_TIMEOUT_SECONDS).orElseThrow(() -> new ConfigurationException(
                at + ".timeout_seconds: expected a whole number of seconds 1.." + MAX_TIMEOUT_SECONDS)));
    }

    private static Integer limit(JsonObject spec, String at) {
        JsonValue v = spec.get("max_concurrency");
        if (v == null) {
            return null;
        }
        return (int) wholeNumber(v, 1, 10_000).orElseThrow(() -> new ConfigurationException(
                at + ".max_concurrency: expected a whole number 1..10000"));
    }

    private static Map<String, String> env(JsonObject spec, String at) {
        JsonValue v = spec.get("env");
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof JsonObject obj)) {
            throw new ConfigurationException(at + ".env: expected an object of strings");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> e : obj.entrySet()) {
            if (!(e.getValue() instanceof JsonString s)) {
                throw new ConfigurationException(at + ".env." + e.getKey() + ": expected a string");
            }
            if (e.getKey().startsWith("ORCH_")) {
                throw new ConfigurationException(at + ".env." + e.getKey()
                        + ": ORCH_* variables are set by the server for each run");
            }
            env.put(e.getKey(), s.getString());
        }
        return env;
    }

    private static Set<Integer> transientCodes(JsonObject spec, String at) {
        JsonValue v = spec.get("transient_exit_codes");
        if (v == null) {
            return Set.of();
        }
        if (!(v instanceof JsonArray array)) {
            throw new ConfigurationException(at + ".transient_exit_codes: expected an array of exit codes");
        }
        Set<Integer> codes = new LinkedHashSet<>();
        for (JsonValue c : array) {
            codes.add((int) wholeNumber(c, 1, 255).orElseThrow(() -> new ConfigurationException(
                    at + ".transient_exit_codes: exit codes are whole numbers 1..255")));
        }
        return codes;
    }

    /**
     * The value as a whole number within [min, max], judged exactly: JsonNumber.longValue() wraps
     * silently, so 18446744073709551617 would otherwise pass as 1.
     */
    private static java.util.OptionalLong wholeNumber(JsonValue v, long min, long max) {
        if (!(v instanceof JsonNumber n) || !n.isIntegral()) {
            return java.util.OptionalLong.empty();
        }
        java.math.BigInteger x = n.bigIntegerValue();
        return x.compareTo(java.math.BigInteger.valueOf(min)) >= 0 && x.compareTo(java.math.BigInteger.valueOf(max)) <= 0
                ? java.util.OptionalLong.of(x.longValueExact()) : java.util.OptionalLong.empty();
    }
}
