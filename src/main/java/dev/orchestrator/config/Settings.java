package dev.orchestrator.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed, validated reads of {@code ORCH_*} settings from one source (MicroProfile Config in the
 * server, which sees environment variables and system properties; a map in tests). Every error
 * names the setting and says what was expected.
 */
public final class Settings {
    private final Function<String, Optional<String>> source;

    public Settings(Function<String, Optional<String>> source) {
        this.source = source;
    }

    public Optional<String> optional(String name) {
        return source.apply(name).map(String::trim).filter(v -> !v.isEmpty());
    }

    public String required(String name, String hint) {
        return optional(name).orElseThrow(() -> new ConfigurationException(name + " is not set: " + hint));
    }

    public String string(String name, String defaultValue) {
        return optional(name).orElse(defaultValue);
    }

    public int integer(String name, int defaultValue, int min, int max) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(raw.get());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(name + "='" + raw.get() + "' is not a whole number (expected "
                    + min + ".." + max + ", default " + defaultValue + ")");
        }
        if (value < min || value > max) {
            throw new ConfigurationException(name + "=" + value + " is out of range (expected " + min + ".." + max
                    + ", default " + defaultValue + ")");
        }
        return value;
    }

    public Duration seconds(String name, long defaultSeconds, long min, long max) {
        return Duration.ofSeconds(integer(name, (int) defaultSeconds, (int) min, (int) max));
    }

    public boolean flag(String name, boolean defaultValue) {
        Optional<String> raw = optional(name);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigurationException(name + "='" + raw.get()
                    + "' is not a boolean (expected true or false, default " + defaultValue + ")");
        };
    }

    public Path path(String name, Path defaultValue) {
        return optional(name).map(Path::of).orElse(defaultValue).toAbsolutePath().normalize();
    }
}
