package dev.orchestrator.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Finds the OS commands the runner needs (setsid, kill) in the usual places or on PATH. */
public final class OsCommands {
    private OsCommands() {
    }

    public static String require(String name) {
        return find(name, System.getenv("PATH")).orElseThrow(() -> new IllegalStateException(
                "'" + name + "' was not found in /usr/bin, /bin or PATH; Orchestrator needs it to run agents "
                        + "in their own process group (Debian package: util-linux / procps)"));
    }

    static Optional<String> find(String name, String path) {
        List<String> dirs = new java.util.ArrayList<>(List.of("/usr/bin", "/bin"));
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        return dirs.stream()
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, name))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .map(Path::toString)
                .findFirst();
    }
}
