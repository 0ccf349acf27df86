package dev.orchestrator.run;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.process.LaunchException;
import dev.orchestrator.process.LaunchRequest;
import dev.orchestrator.process.LaunchedProcess;
import dev.orchestrator.process.ProcessLauncher;
import dev.orchestrator.runfiles.RunFilesLayout;
import dev.orchestrator.store.ClaimStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns a claimed job, whose run the claim attached, into a watched process: prepare its files,
 * start the agent, stamp the pid (fenced by the run), and hand the exit to {@link RunCompletion}
 * on the node's executor. No transaction is open while a process runs.
 */
public class RunStarter {
    private static final Logger LOG = Logger.getLogger(RunStarter.class.getName());

    /** Where agents run and where runs keep their files. */
    public record Places(Path reposDir, RunFilesLayout runFiles) {
    }

    private final NodeContext node;
    private final ClaimStore claims;
    private final AgentCatalog agents;
    private final ProcessLauncher launcher;
    private final ActiveRuns active;
    private final RunTermination termination;
    private final RunCompletion completion;
    private final Places places;
    private final Map<String, String> serverEnv;

    public RunStarter(NodeContext node, ClaimStore claims, AgentCatalog agents, ProcessLauncher launcher,
                      ActiveRuns active, RunTermination termination, RunCompletion completion, Places places,
                      Map<String, String> serverEnv) {
        this.node = node;
        this.claims = claims;
        this.agents = agents;
        this.launcher = launcher;
        this.active = active;
        this.termination = termination;
        this.completion = completion;
        this.places = places;
        this.serverEnv = Map.copyOf(serverEnv);
    }

    /** How many runs this node watches (each holds a slot until its end is recorded). */
    int watching() {
        return active.size();
    }

    /** Where runs write their output: {@code <runs>/<job>/<run>/output.log}. */
    ClaimStore.LogFiles logFiles() {
        return places.runFiles()::logFile;
    }

    /**
     * Starts the run attached to {@code claimed} (in the claim's transaction); never throws for a bad
     * job (its failure is recorded on the job instead).
     */
    public void start(ClaimStore.ClaimedRun claimed) {
        ClaimedJob job = claimed.job();
        RunStart run = claimed.run();
        LaunchedProcess process;
        AgentDefinition agent;
        try {
            agent = agents.find(job.agent()).orElseThrow(() ->
                    new LaunchException("agent '" + job.agent() + "' is not configured on this server"));
            process = launch(job, run, agent);
        } catch (LaunchException | RuntimeException e) {
            LOG.log(Level.WARNING, "job {0} run {1}: launch failed: {2}",
                    new Object[] {job.id(), run.runId(), e.getMessage()});
            completion.onLaunchFailure(RunRef.of(job, run), e.getMessage());
            return;
        }
        active.add(new ActiveRuns.ActiveRun(job.id(), run.runId(), process));
        node.events().record(QueueEvent.STARTED);
        try {
            Ownership o = claims.stampProcess(job.id(), run.runId(), process.pid(),
                    process.startedAt().orElse(null), process.startTicks(), node.clock().instant());
            if (!o.owned()) {
                LOG.log(Level.WARNING, "job {0}: run {1} lost the job before its pid was stamped; killing process "
                        + "group {2}", new Object[] {job.id(), run.runId(), process.pid()});
                termination.killAsync(process.pid());
            }
        } catch (RuntimeException e) {
            // A process the database does not know of could not be judged by any reaper, timed out
            // or found after a crash: kill it. Its exit is recorded below as a failed attempt with
            // this reason (fenced by the run); if the database is still away, the reaper takes the
            // job back later (spawn grace, or a dead process without an exit status).
            LOG.log(Level.WARNING, "job " + job.id() + " run " + run.runId() + ": could not stamp pid "
                    + process.pid() + "; killing it", e);
            termination.terminateWatched(job.id(), run.runId(),
                    new TerminationReason.UnrecordedProcess(process.pid(), e.getMessage()));
        } finally {
            AgentDefinition a = agent;
            process.process().onExit().thenAcceptAsync(
                    p -> completion.onExit(RunRef.of(job, run), a, p.exitValue()), node.executor());
        }
    }

    private LaunchedProcess launch(ClaimedJob job, RunStart run, AgentDefinition agent) throws LaunchException {
        Path workDir;
        try {
            workDir = new RepoName(job.repo()).resolveUnder(places.reposDir());
        } catch (IllegalArgumentException e) {
            throw new LaunchException("invalid repo: " + e.getMessage(), e);
        }
        Path payloadFile = run.runDir().resolve(RunFilesLayout.PAYLOAD_FILE);
        try {
            Files.createDirectories(run.runDir());
            Files.writeString(payloadFile, job.payload(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LaunchException("cannot write run files under " + run.runDir() + ": " + e, e);
        }
        Map<String, String> env = RunEnvironment.build(serverEnv, agent, job, run, payloadFile);
        return launcher.launch(new LaunchRequest(agent.command(), workDir, env,
                run.runDir().resolve(RunFilesLayout.LOG_FILE), run.runDir().resolve(RunFilesLayout.EXIT_FILE)));
    }
}
