package dev.orchestrator.domain.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The configured tokens. A presented secret is hashed and compared with every token's hash in
 * constant time ({@link MessageDigest#isEqual}), all of them each time, so neither the position of
 * a match nor a near-miss shows in the timing.
 */
public final class TokenRegistry {
    /** Shorter secrets are refused at configuration: they can be guessed. */
    public static final int MIN_SECRET_LENGTH = 16;

    private final List<ApiToken> tokens;

    public TokenRegistry(List<ApiToken> tokens) {
        this.tokens = List.copyOf(tokens);
        Set<String> names = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (ApiToken t : this.tokens) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException("two tokens are named '" + t.name() + "'");
            }
            if (!hashes.add(t.sha256Hex())) {
                throw new IllegalArgumentException("token '" + t.name() + "' has the same secret as another token");
            }
        }
    }

    public List<ApiToken> tokens() {
        return tokens;
    }

    public Optional<ApiToken> authenticate(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.empty();
        }
        byte[] presented = sha256(secret);
        ApiToken match = null;
        for (ApiToken t : tokens) {
            if (MessageDigest.isEqual(presented, t.sha256()) && match == null) {
                match = t;
            }
        }
        return Optional.ofNullable(match);
    }

    public static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
