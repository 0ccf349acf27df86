package dev.orchestrator.config;

import dev.orchestrator.domain.access.ApiToken;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.access.TokenRegistry;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The API's tokens, from {@code ORCH_API_TOKENS_FILE} and/or {@code ORCH_API_TOKEN}, or generated:
 * <pre>{"tokens": [{"name": "ci", "sha256": "HEX OF SHA-256 OF THE TOKEN", "roles": ["submit"],
 *              "repos": ["team-a-*"]}]}</pre>
 * (a bare array of the same objects is accepted too). Only hashes are kept. Strict: unknown keys,
 * bad hashes, unknown roles and duplicate names are errors naming the file and the entry.
 * With neither setting, the first start writes a random admin token to
 * {@code $ORCH_DATA_DIR/admin-token} (mode 0600) and later starts read it back.
 */
public final class ApiTokensFile {
    public static final String GENERATED_FILE = "admin-token";
    /** The name of the token from ORCH_API_TOKEN or the generated one. */
    public static final String ADMIN_NAME = "admin";

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
    static final Set<String> KEYS = Set.of("name", "sha256", "roles", "repos");

    /** The tokens, and the generated file if one is in use (for the log: its path, never the token). */
    public record Loaded(TokenRegistry registry, Optional<Path> generatedFile, boolean generatedNow) {
    }

    private ApiTokensFile() {
    }

    public static Loaded load(Settings s, Path dataDir) {
        Optional<String> file = s.optional("ORCH_API_TOKENS_FILE");
        Optional<String> env = s.optional("ORCH_API_TOKEN");
        List<ApiToken> tokens = new ArrayList<>();
        file.ifPresent(f -> tokens.addAll(read(Path.of(f).toAbsolutePath())));
        if (env.isPresent()) {
            tokens.add(fromSecret("ORCH_API_TOKEN", env.get()));
        }
        Optional<Path> generated = Optional.empty();
        boolean now = false;
        if (file.isEmpty() && env.isEmpty()) {
            Path f = dataDir.resolve(GENERATED_FILE);
            now = !Files.exists(f);
            tokens.add(fromSecret(f.toString(), generatedSecret(f)));
            generated = Optional.of(f);
        }
        try {
            return new Loaded(new TokenRegistry(tokens), generated, now);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("API tokens: " + e.getMessage()
                    + (file.isPresent() && env.isPresent() ? " (ORCH_API_TOKENS_FILE=" + file.get()
                            + " and ORCH_API_TOKEN, which is named '" + ADMIN_NAME + "')" : ""));
        }
    }

    private static ApiToken fromSecret(String source, String secret) {
        if (secret.length() < TokenRegistry.MIN_SECRET_LENGTH || !secret.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigurationException(source + ": a token must be at least " + TokenRegistry.MIN_SECRET_LENGTH
                    + " printable ASCII characters without spaces");
        }
        return new ApiToken(ADMIN_NAME, TokenRegistry.sha256(secret), EnumSet.of(Role.ADMIN), RepoScope.all(),
                source.equals("ORCH_API_TOKEN") ? "ORCH_API_TOKEN" : "generated");
    }

    /** Reads the generated token, or creates it (0600, written before it is used) on the first start. */
    static String generatedSecret(Path f) {
        try {
            if (Files.exists(f)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
                if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    throw new ConfigurationException(f + " is readable by others ("
                            + PosixFilePermissions.toString(perms) + "): run chmod 600 " + f);
                }
                return Files.readString(f, StandardCharsets.US_ASCII).trim();
            }
            Files.createDirectories(f.getParent());
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, secret + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
            return secret;
        } catch (FileAlreadyExistsException e) {
            return generatedSecret(f); // another node on this data directory won the race: use its token
        } catch (IOException e) {
            throw new ConfigurationException("cannot read or create the admin token file " + f + ": " + e.getMessage(), e);
        }
    }

    static List<ApiToken> read(Path file) {
        String where = "ORCH_API_TOKENS_FILE=" + file + ": ";
        if (!Files.isRegularFile(file)) {
            throw new ConfigurationException(where + "no such file");
        }
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); JsonReader jr = Json.createReader(r)) {
            return parse(jr.readValue(), where);
        } catch (JsonParsingException e) {
            throw new ConfigurationException(where + "malformed JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ConfigurationException(where + "cannot read: " + e.getMessage(), e);
        }
    }

    static List<ApiToken> parse(JsonValue root, String where) {
        JsonArray entries;
        if (root instanceof JsonArray a) {
            entries = a;
        } else if (root instanceof JsonObject o && o.keySet().equals(Set.of("tokens")) && o.get("tokens") instanceof JsonArray a) {
            entries = a;
        } else {
            throw new ConfigurationException(where + "expected {\"tokens\": [{\"name\": ..., \"sha256\": ..., "
                    + "\"roles\": [...], \"repos\": [...]}]}");
        }
        List<ApiToken> tokens = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            tokens.add(entry(entries.get(i), where + "tokens[" + i + "]"));
        }
        try {
            new TokenRegistry(tokens); // duplicate names and hashes
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(where + e.getMessage());
        }
        return tokens;
    }

    private static ApiToken entry(JsonValue v, String at) {
        if (!(v instanceof JsonObject o)) {
            throw new ConfigurationException(at + ": expected an object with name, sha256, roles and optional repos");
        }
        for (String key : o.keySet()) {
            if (!KEYS.contains(key)) {
                throw new ConfigurationException(at + ": unknown key '" + key + "' (known: name, sha256, roles, repos)");
            }
        }
        String name = string(o, "name", at);
        if (!NAME.matcher(name).matches()) {
            throw new ConfigurationException(at + ": name '" + name + "' must match " + NAME.pattern());
        }
        at = at + " ('" + name + "')";
        String hash = string(o, "sha256", at);
        if (!HEX64.matcher(hash).matches()) {
            throw new ConfigurationException(at + ": sha256 must be the 64 hex digits of the token's SHA-256 "
                    + "(e.g. printf %s \"$TOKEN\" | sha256sum), never the token itself");
        }
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (String role : strings(o, "roles", at, true)) {
            String where = at;
            roles.add(Role.parse(role).orElseThrow(() -> new ConfigurationException(
                    where + ": unknown role '" + role + "' (roles: read, submit, operate, admin)")));
        }
        List<String> repos = o.containsKey("repos") ? strings(o, "repos", at, true) : List.of();
        for (String p : repos) {
            String problem = RepoScope.problem(p);
            if (problem != null) {
                throw new ConfigurationException(at + ": repos: '" + p + "': " + problem);
            }
        }
        return new ApiToken(name, HexFormat.of().parseHex(hash.toLowerCase(java.util.Locale.ROOT)), roles,
                new RepoScope(repos), "ORCH_API_TOKENS_FILE");
    }

    private static String string(JsonObject o, String key, String at) {
        if (!(o.get(key) instanceof JsonString s)) {
            throw new ConfigurationException(at + ": '" + key + "' must be a string");
        }
        return s.getString();
    }

    private static List<String> strings(JsonObject o, String key, String at, boolean nonEmpty) {
        if (!(o.get(key) instanceof JsonArray a) || (nonEmpty && a.isEmpty())) {
            throw new ConfigurationException(at + ": '" + key + "' must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonValue v : a) {
            if (!(v instanceof JsonString s)) {
                throw new ConfigurationException(at + ": '" + key + "' must contain only strings");
            }
            out.add(s.getString());
        }
        return out;
    }
}
