package dev.orchestrator.infrastructure.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to start: argv (never through a shell), the working directory, the complete environment
 * of the process, and the file that receives its stdout and stderr.
 */
public record LaunchRequest(List<String> argv, Path workDir, Map<String, String> environment, Path logFile) {
    public LaunchRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
