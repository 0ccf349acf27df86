package dev.orchestrator.runfiles;

import dev.orchestrator.runfiles.RunFilesLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Reads the exit status a run's wrapper left beside its log. */
public final class ExitFiles {
    private ExitFiles() {
    }

    /** The recorded exit status, if the run's wrapper wrote one. */
    public static Optional<Integer> read(Path runDir) {
        if (runDir == null) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(runDir.resolve(RunFilesLayout.EXIT_FILE), StandardCharsets.US_ASCII).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(Integer.parseInt(text));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
