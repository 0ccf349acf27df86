package dev.orchestrator.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed, validated reads of {@code ORCH_*} settings from one source (in the server: the
 * environment first, then MicroProfile Config, see {@link #environmentFirst}; a map in tests).
 * Every error names the setting and says what was expected.
 *
 * <p>Relative paths are resolved against the working directory, unless a reason to refuse them is
 * given ({@link #refusingRelativePaths}): on Payara Server the working directory is the domain's
 * {@code config} directory, where data does not belong.
 */
public final class Settings {
    private final Function<String, Optional<String>> source;
    private final String relativePathRefusal;

    public Settings(Function<String, Optional<String>> source) {
        this(source, null);
    }

    private Settings(Function<String, Optional<String>> source, String relativePathRefusal) {
        this.source = source;
        this.relativePathRefusal = relativePathRefusal;
    }

    /**
     * The server's source: a variable of {@code env} that is set and not empty wins; otherwise
     * {@code fallback} (MicroProfile Config: system properties and JVM options, {@code asadmin
     * set-config-property}, password aliases, ...); otherwise an empty variable of {@code env}.
     */
    public static Function<String, Optional<String>> environmentFirst(Map<String, String> env,
                                                                      Function<String, Optional<String>> fallback) {
        return name -> {
            String value = env.get(name);
            if (value != null && !value.isEmpty()) {
                return Optional.of(value);
            }
            Optional<String> other = fallback.apply(name);
            return other.isPresent() ? other : Optional.ofNullable(value);
        };
    }

    /** The same settings, with every relative path refused, the message saying {@code why}. */
    public Settings refusingRelativePaths(String why) {
        return new Settings(source, why);
    }

    public Optional<String> optional(String name) {
        return source.apply(name).map(String::trim).filter(v -> !v.isEmpty());
    }

    /** The raw value, untrimmed and possibly empty (a password may be empty). */
    public Optional<String> present(String name) {
        return source.apply(name);
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
        Optional<String> raw = optional(name);
        return absolute(name, raw.map(Path::of).orElse(defaultValue), raw.isEmpty());
    }

    public Path requiredPath(String name, String hint) {
        return absolute(name, Path.of(required(name, hint)), false);
    }

    private Path absolute(String name, Path path, boolean isDefault) {
        if (!path.isAbsolute() && relativePathRefusal != null) {
            throw new ConfigurationException((isDefault ? name + " is not set and its default '" + path + "'"
                    : name + "='" + path + "'") + " is a relative path, and " + relativePathRefusal
                    + ": set " + name + " to an absolute path");
        }
        return path.toAbsolutePath().normalize();
    }
}
