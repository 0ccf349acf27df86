package dev.orchestrator.domain.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A command line configured on the server. Clients name an agent; they never send a command.
 *
 * @param command            argv, run without a shell
 * @param timeout            how long one run may take (enforced by the reaper's backstop)
 * @param env                extra environment for the process
 * @param transientExitCodes exit codes meaning "try again later" (not counted as attempts)
 * @param maxConcurrency     most runs of this agent at once across the cluster, null for no own limit
 */
public record AgentDefinition(String name, List<String> command, Duration timeout, Map<String, String> env,
                              Set<Integer> transientExitCodes, Integer maxConcurrency) {
    /** timeout_seconds when the agents file gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(1);

    public AgentDefinition {
        Objects.requireNonNull(name, "name");
        command = List.copyOf(command);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("agent '" + name + "': command must not be empty");
        }
        Objects.requireNonNull(timeout, "timeout");
        env = Map.copyOf(env);
        transientExitCodes = Set.copyOf(transientExitCodes);
        if (maxConcurrency != null && maxConcurrency < 1) {
            throw new IllegalArgumentException("agent '" + name + "': max_concurrency must be >= 1");
        }
    }

    /** An agent without a limit of its own. */
    public AgentDefinition(String name, List<String> command, Duration timeout, Map<String, String> env,
                           Set<Integer> transientExitCodes) {
        this(name, command, timeout, env, transientExitCodes, null);
    }

    public boolean isTransient(int exitCode) {
        return transientExitCodes.contains(exitCode);
    }
}
