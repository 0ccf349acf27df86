package dev.orchestrator.run;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Ownership;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.domain.run.RunStart;
import dev.orchestrator.store.JobStore;
import dev.orchestrator.runfiles.RunFilesLayout;
import dev.orchestrator.process.LaunchException;
import dev.orchestrator.process.LaunchRequest;
import dev.orchestrator.process.LaunchedProcess;
import dev.orchestrator.process.ProcessGroups;
import dev.orchestrator.process.ProcessLauncher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns a claimed job into a watched process: attach a run (fenced by the claim), prepare its
 * files, start the agent, stamp the pid (fenced by the run), and hand the exit to
 * {@link RunCompletion} on the completion executor. No transaction is open while a process runs.
 */
public class RunStarter {
    private static final Logger LOG = Logger.getLogger(RunStarter.class.getName());

    private final JobStore store;
    private final AgentCatalog agents;
    private final ProcessLauncher launcher;
    private final ProcessGroups groups;
    private final RunCompletion completion;
    private final ActiveRuns active;
    private final QueueEvents events;
    private final NodeIdentity node;
    private final Clock clock;
    private final Path reposDir;
    private final Path runsDir;
    private final Duration killGrace;
    private final Map<String, String> serverEnv;
    private final Executor completionExecutor;

    public RunStarter(JobStore store, AgentCatalog agents, ProcessLauncher launcher, ProcessGroups groups,
                      RunCompletion completion, ActiveRuns active, QueueEvents events, NodeIdentity node,
                      Clock clock, Path reposDir, Path runsDir, Duration killGrace, Map<String, String> serverEnv,
                      Executor completionExecutor) {
        this.store = store;
        this.agents = agents;
        this.launcher = launcher;
        this.groups = groups;
        this.completion = completion;
        this.active = active;
        this.events = events;
        this.node = node;
        this.clock = clock;
        this.reposDir = reposDir;
        this.runsDir = runsDir;
        this.killGrace = killGrace;
        this.serverEnv = Map.copyOf(serverEnv);
        this.completionExecutor = completionExecutor;
    }

    /** Starts {@code job}; never throws for a bad job (its failure is recorded on the job instead). */
    public void start(ClaimedJob job) {
        Optional<RunStart> attached = store.attachRun(job, node, clock.instant(),
                runId -> runsDir.resolve(Long.toString(job.id())).resolve(Long.toString(runId)));
        if (attached.isEmpty()) {
            events.record(QueueEvent.OWNERSHIP_LOST);
            LOG.log(Level.WARNING, "job {0}: claim was taken before its run could be attached", job.id());
            return;
        }
        RunStart run = attached.get();
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
        events.record(QueueEvent.STARTED);
        try {
            Ownership o = store.stampProcess(job.id(), run.runId(), process.pid(),
                    process.startedAt().orElse(null), process.startTicks(), clock.instant());
            if (!o.owned()) {
                LOG.log(Level.WARNING, "job {0}: run {1} lost the job before its pid was stamped; killing process "
                        + "group {2}", new Object[] {job.id(), run.runId(), process.pid()});
                completionExecutor.execute(() -> groups.terminate(process.pid(), killGrace));
            }
        } catch (RuntimeException e) {
            // A process the database does not know of could not be judged by any reaper, timed out
            // or found after a crash: kill it. Its exit is recorded below as a failed attempt with
            // this reason (fenced by the run); if the database is still away, the reaper takes the
            // job back later (spawn grace, or a dead process without an exit status).
            String reason = "killed: its process " + process.pid() + " could not be recorded (" + e.getMessage()
                    + ")";
            LOG.log(Level.WARNING, "job " + job.id() + " run " + run.runId() + ": could not stamp pid "
                    + process.pid() + "; killing it", e);
            if (active.markForTermination(job.id(), run.runId(), reason)) {
                completionExecutor.execute(() -> groups.terminate(process.pid(), killGrace));
            }
        } finally {
            AgentDefinition a = agent;
            process.process().onExit().thenAcceptAsync(
                    p -> completion.onExit(RunRef.of(job, run), a, p.exitValue()), completionExecutor);
        }
    }

    private LaunchedProcess launch(ClaimedJob job, RunStart run, AgentDefinition agent) throws LaunchException {
        Path workDir;
        try {
            workDir = new RepoName(job.repo()).resolveUnder(reposDir);
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
