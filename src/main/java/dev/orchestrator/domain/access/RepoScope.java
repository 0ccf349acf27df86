package dev.orchestrator.domain.access;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The repos a token may touch: every repo (no patterns), or the repo names matching one of its
 * patterns, where {@code *} stands for any run of characters ({@code team-a-*}, {@code docs}).
 */
public record RepoScope(List<String> patterns) {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._*-]{1,128}");
    private static final RepoScope ALL = new RepoScope(List.of());

    public RepoScope {
        patterns = List.copyOf(patterns);
        for (String p : patterns) {
            String problem = problem(p);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }
    }

    public static RepoScope all() {
        return ALL;
    }

    /** Why {@code pattern} is not a valid repo pattern, or null if it is. */
    public static String problem(String pattern) {
        if (pattern == null || !VALID.matcher(pattern).matches()) {
            return "a repo pattern must be 1..128 characters of A-Z a-z 0-9 . _ - and * (any run of characters)";
        }
        return null;
    }

    public boolean unrestricted() {
        return patterns.isEmpty();
    }

    public boolean allows(String repo) {
        if (unrestricted()) {
            return true;
        }
        if (repo == null) {
            return false;
        }
        for (String p : patterns) {
            if (matches(p, repo)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match with {@code *} only; iterative, linear in practice (no regular expression built from input). */
    static boolean matches(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    /** The patterns as SQL LIKE patterns ({@code \} escapes; {@code _} and {@code %} taken literally). */
    public List<String> likePatterns() {
        return patterns.stream()
                .map(p -> p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('*', '%'))
                .toList();
    }
}
