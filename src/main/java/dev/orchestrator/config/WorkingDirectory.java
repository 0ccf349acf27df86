package dev.orchestrator.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where relative paths in the settings would land. Payara Server starts its JVM in the domain's
 * {@code config} directory, so {@code ORCH_DATA_DIR=data} would put run files and logs among the
 * server's own configuration: inside the server's instance directory relative paths are refused
 * (the launcher, {@code mvn -Prun}, passes absolute paths and keeps {@code ./data} in the project).
 */
public final class WorkingDirectory {
    /** The system property in which Payara (Server and Micro) names its instance directory. */
    public static final String INSTANCE_ROOT = "com.sun.aas.instanceRoot";

    private WorkingDirectory() {
    }

    /** Why relative paths must be refused here, or empty when the working directory is a sane base. */
    public static Optional<String> relativePathRefusal(Path workingDirectory, String instanceRoot) {
        if (instanceRoot == null || instanceRoot.isBlank()) {
            return Optional.empty();
        }
        Path root = real(Path.of(instanceRoot));
        Path cwd = real(workingDirectory);
        if (!cwd.startsWith(root)) {
            return Optional.empty();
        }
        return Optional.of("the working directory " + cwd + " is inside the application server's instance "
                + "directory (" + INSTANCE_ROOT + "=" + root + "; on Payara Server it is the domain's config "
                + "directory)");
    }

    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        try {
            return abs.toRealPath();
        } catch (IOException e) {
            return abs;
        }
    }
}
