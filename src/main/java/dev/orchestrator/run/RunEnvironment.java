package dev.orchestrator.run;

import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.run.RunStart;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment of an agent process: the server's own environment without any ORCH_* setting
 * (database credentials and tokens never reach an agent), then the agent's configured variables,
 * then the run's ORCH_* facts.
 */
final class RunEnvironment {
    private RunEnvironment() {
    }

    static Map<String, String> build(Map<String, String> serverEnv, AgentDefinition agent, ClaimedJob job,
                                     RunStart run, Path payloadFile) {
        Map<String, String> env = new LinkedHashMap<>();
        serverEnv.forEach((k, v) -> {
            if (!k.startsWith("ORCH_")) {
                env.put(k, v);
            }
        });
        env.putAll(agent.env());
        env.put("ORCH_JOB_ID", Long.toString(job.id()));
        env.put("ORCH_RUN_ID", Long.toString(run.runId()));
        env.put("ORCH_ATTEMPT", Integer.toString(run.attempt()));
        env.put("ORCH_REPO", job.repo());
        env.put("ORCH_AGENT", job.agent());
        env.put("ORCH_PAYLOAD_FILE", payloadFile.toString());
        return env;
    }
}
