package dev.orchestrator.run;

import dev.orchestrator.domain.agent.AgentDefinition;
import java.util.List;
import java.util.Locale;

/** What an exit status (and the end of the run's output) means for the job. */
public enum ExitPolicy {
    /** Exit 0. */
    SUCCEEDED,
    /** A transient exit code of the agent, or a transient pattern in its last output lines. */
    TRANSIENT,
    /** Any other exit status: a failed attempt. */
    FAILED_ATTEMPT;

    /**
     * @param lastLines the run's last output lines
     * @param patterns  case-insensitive substrings (ORCH_TRANSIENT_OUTPUT_PATTERNS) that mark a
     *                  non-zero exit as transient when found in {@code lastLines}
     */
    public static ExitPolicy classify(AgentDefinition agent, int exitCode, List<String> lastLines,
                                      List<String> patterns) {
        if (exitCode == 0) {
            return SUCCEEDED;
        }
        if (agent != null && agent.isTransient(exitCode)) {
            return TRANSIENT;
        }
        for (String line : lastLines) {
            String l = line.toLowerCase(Locale.ROOT);
            for (String p : patterns) {
                if (l.contains(p)) {
                    return TRANSIENT;
                }
            }
        }
        return FAILED_ATTEMPT;
    }
}
