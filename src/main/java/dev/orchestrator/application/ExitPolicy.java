package dev.orchestrator.application;

import dev.orchestrator.domain.agent.AgentDefinition;

/** What an exit status means for the job. */
public enum ExitPolicy {
    /** Exit 0. */
    SUCCEEDED,
    /** One of the agent's transient exit codes: try again later, attempt not counted. */
    TRANSIENT,
    /** Any other exit status: a failed attempt. */
    FAILED_ATTEMPT;

    public static ExitPolicy classify(AgentDefinition agent, int exitCode) {
        if (exitCode == 0) {
            return SUCCEEDED;
        }
        return agent != null && agent.isTransient(exitCode) ? TRANSIENT : FAILED_ATTEMPT;
    }
}
