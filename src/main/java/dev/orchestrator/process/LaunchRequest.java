package dev.orchestrator.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to start: argv (never interpreted by a shell), the working directory, the complete
 * environment of the process, the file that receives its stdout and stderr, and the file where its
 * exit status is made durable ({@code null}: none).
 */
public record LaunchRequest(List<String> argv, Path workDir, Map<String, String> environment, Path logFile,
                            Path exitFile) {
    public LaunchRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
