package dev.orchestrator.domain.agent;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A repository name that is safe to use as one path segment under the repos directory:
 * starts with a letter or digit, then letters, digits, '.', '_' or '-', at most 128 characters,
 * and never contains "..". The schema repeats the rule as a CHECK constraint.
 */
public record RepoName(String value) {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public RepoName {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why {@code value} is not a valid repo name, or null if it is. */
    public static String problem(String value) {
        if (value == null || value.isEmpty()) {
            return "repo must be a non-empty string";
        }
        if (!VALID.matcher(value).matches()) {
            return "repo must match [A-Za-z0-9][A-Za-z0-9._-]{0,127} (one directory name, no slashes)";
        }
        if (value.contains("..")) {
            return "repo must not contain '..'";
        }
        return null;
    }

    /** The repo's directory under {@code root}; refuses anything that would leave it. */
    public Path resolveUnder(Path root) {
        Path base = root.toAbsolutePath().normalize();
        Path dir = base.resolve(value).normalize();
        if (!dir.getParent().equals(base)) {
            throw new IllegalArgumentException("repo '" + value + "' escapes " + base);
        }
        return dir;
    }

    @Override
    public String toString() {
        return value;
    }
}
