package dev.orchestrator.testing;

import dev.orchestrator.boot.NodeFactory;
import dev.orchestrator.node.NodeSettings;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.service.JobControl;
import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.config.Settings;
import dev.orchestrator.store.QueueStores;
import dev.orchestrator.process.HostInfo;
import dev.orchestrator.process.OsCommands;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A whole node as the server wires it (real database, real processes), with test agents from
 * src/test/agents, a data directory under a temp dir, and settings overridable per test.
 */
public final class NodeHarness implements AutoCloseable {
    public static final Path AGENTS = Path.of("src/test/agents").toAbsolutePath();

    public final QueueFixture f;
    public final Path dataDir;
    public final Map<String, String> settings = new HashMap<>();
    public final ExecutorService executor = Executors.newCachedThreadPool();
    /** What the node runs its asynchronous work on (starts, kills, exit handlers). */
    public final HeldExecutor nodeExecutor = new HeldExecutor(executor);
    /** The stores the node uses; a test may swap in one that fails where it wants. */
    public QueueStores stores;
    /** The kill command the node uses; a test may swap in one that signals nothing. */
    public String killCommand = OsCommands.require("kill");
    public Clock clock = Clock.systemUTC();
    /** The back-off's jitter; 1.0 makes every delay its ceiling, so tests can name it exactly. */
    public java.util.function.DoubleSupplier jitter = () -> 1.0;
    public OrchestratorNode node;

    /** A harness on a freshly emptied database. */
    public NodeHarness(Path dataDir) {
        this(dataDir, new QueueFixture());
    }

    /** A harness on the database state {@code fixture} has set up (not emptied again). */
    public NodeHarness(Path dataDir, QueueFixture fixture) {
        this.f = fixture;
        this.dataDir = dataDir;
        settings.put("ORCH_DATA_DIR", dataDir.toString());
        settings.put("ORCH_AGENTS_FILE", dataDir.resolve("unused-agents.json").toString());
        settings.put("ORCH_KILL_GRACE_SECONDS", "5");
    }

    public static AgentCatalog agents() {
        return new AgentCatalog(Map.of(
                "ok", agent("ok", List.of(AGENTS + "/exit-with.sh", "0")),
                "fail", agent("fail", List.of(AGENTS + "/exit-with.sh", "1")),
                "flaky", new AgentDefinition("flaky", List.of(AGENTS + "/exit-with.sh", "75"),
                        Duration.ofMinutes(1), Map.of(), Set.of(75)),
                "payload", new AgentDefinition("payload", List.of(AGENTS + "/show-payload.sh"), Duration.ofMinutes(1),
                        Map.of("AGENT_GREETING", "hello"), Set.of()),
                "wait", agent("wait", List.of(AGENTS + "/wait-for-file.sh", "../release")),
                "tree", agent("tree", List.of(AGENTS + "/spawn-tree.sh", "child.pid")),
                "missing", agent("missing", List.of("/no/such/executable")),
                "limited", agent("limited", List.of(AGENTS + "/say-and-exit.sh", "Error: rate limit exceeded", "1")),
                "slow", new AgentDefinition("slow", List.of(AGENTS + "/wait-for-file.sh", "../never"),
                        Duration.ofSeconds(5), Map.of(), Set.of())));
    }

    private static AgentDefinition agent(String name, List<String> argv) {
        return new AgentDefinition(name, argv, Duration.ofMinutes(1), Map.of(), Set.of());
    }

    public OrchestratorConfig config() {
        return OrchestratorConfig.from(new Settings(k -> Optional.ofNullable(settings.get(k))), "test-host");
    }

    public NodeIdentity identity(String id) {
        return HostInfo.thisJvm(id, "test-host");
    }

    /** Builds the node and runs its start-up (register, recover, sanitize); dispatching is by hand. */
    public OrchestratorNode start(String nodeId) {
        node = NodeFactory.node(config(), agents(), stores == null ? f.stores : stores, identity(nodeId), clock,
                new NodeSettings.Commands(OsCommands.require("setsid"), killCommand),
                Map.of("PATH", "/usr/bin:/bin", "ORCH_DB_PASSWORD", "secret"), nodeExecutor, jitter);
        control = new JobControl(node, QueueFixture.jobs());
        node.prepare();
        return node;
    }

    private JobControl control;

    /** Operators' control on the started node, as the API reaches it. */
    public JobControl control() {
        return control;
    }

    /** The job's row (see {@link TestJobs#row}). */
    public Map<String, Object> job(long id) {
        return TestJobs.row(f.ds, id);
    }

    /**
     * Seeds a running job of {@code node} with its run row (id {@code runId}) for process {@code pid}
     * started at {@code processStart} (null: unknown), on this host's boot.
     */
    public long runningJobWithRun(String node, String agent, long runId, long pid, Instant processStart,
                                  Path runDir, Instant runStart, int attempts) {
        long id = TestJobs.running(f.ds, node, runStart).agent(agent).runId(runId).pid(pid).attempts(attempts)
                .maxAttempts(3).insert();
        f.db.execute("INSERT INTO agent_runs (id, job_id, attempt, node_id, host, boot_id, pid, process_started_at,"
                + " started_at, log_path) OVERRIDING SYSTEM VALUE VALUES (" + runId + ", " + id + ", 1, '" + node
                + "', 'test-host', '" + dev.orchestrator.process.HostInfo.bootId() + "', " + pid + ", "
                + (processStart == null ? "NULL" : "'" + processStart + "'") + ", '" + runStart + "', '"
                + runDir.resolve("output.log") + "')");
        return id;
    }

    public Path repoDir(String repo) {
        return dataDir.resolve("repos").resolve(repo);
    }

    public Path release() {
        return dataDir.resolve("repos").resolve("release");
    }

    public Instant now() {
        return clock.instant();
    }

    @Override
    public void close() {
        if (node != null) {
            node.stop();
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
