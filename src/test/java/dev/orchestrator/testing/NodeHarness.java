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
import dev.orchestrator.store.WakeChannel;
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
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * A whole node as the server wires it (real database, real processes), with test agents from
 * src/test/agents and a data directory of its own. Configured through its {@link Builder} (the
 * defaults, then {@link #configure} for one test) until the node starts; tests get harnesses from
 * {@link NodeHarnessExtension}, which also closes them.
 */
public final class NodeHarness implements AutoCloseable {
    public static final Path AGENTS = Path.of("src/test/agents").toAbsolutePath();

    /** How the node is set up; each setter returns the builder. */
    public static final class Builder {
        private final Path dataDir;
        private final QueueFixture fixture;
        private final Map<String, String> settings = new HashMap<>();
        private QueueStores stores;
        private String killCommand = OsCommands.require("kill");
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier jitter = () -> 1.0;
        private java.util.function.UnaryOperator<WakeChannel.Connector> listenerConnections = c -> c;

        private Builder(Path dataDir, QueueFixture fixture) {
            this.dataDir = dataDir;
            this.fixture = fixture;
            settings.put("ORCH_DATA_DIR", dataDir.toString());
            settings.put("ORCH_AGENTS_FILE", dataDir.resolve("unused-agents.json").toString());
            settings.put("ORCH_KILL_GRACE_SECONDS", "5");
            // wake-ups across nodes only where a test asks for them: the other tests' nodes share
            // one database and should see each other only where they say so
            settings.put("ORCH_NOTIFY_ENABLED", "false");
        }

        /** One ORCH_* setting, as the environment would give it. */
        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        public Builder killGraceSeconds(int seconds) {
            return setting("ORCH_KILL_GRACE_SECONDS", Integer.toString(seconds));
        }

        /** The stores the node uses (default: the fixture's); a test may give one that fails where it wants. */
        public Builder stores(QueueStores value) {
            stores = value;
            return this;
        }

        /** The kill command the node uses; a test may give one that signals nothing. */
        public Builder killCommand(String value) {
            killCommand = value;
            return this;
        }

        public Builder clock(Clock value) {
            clock = value;
            return this;
        }

        /** The back-off's jitter (default 1.0: every delay is its ceiling, so tests can name it exactly). */
        public Builder jitter(DoubleSupplier value) {
            jitter = value;
            return this;
        }

        /** Wraps the wake-up listener's connections (ORCH_NOTIFY_ENABLED); a test may refuse some. */
        public Builder listenerConnections(java.util.function.UnaryOperator<WakeChannel.Connector> wrap) {
            listenerConnections = wrap;
            return this;
        }

        public NodeHarness build() {
            return new NodeHarness(this);
        }
    }

    /** A harness on the database state {@code fixture} has set up, with its data in {@code dataDir}. */
    public static Builder builder(Path dataDir, QueueFixture fixture) {
        return new Builder(dataDir, fixture);
    }

    public final QueueFixture f;
    public final Path dataDir;
    public final ExecutorService executor = Executors.newCachedThreadPool();
    /** What the node runs its asynchronous work on (starts, kills, exit handlers). */
    public final HeldExecutor nodeExecutor = new HeldExecutor(executor);
    private final Builder config;
    private OrchestratorNode node;
    private JobControl control;
    private boolean closed;
    private boolean stopped;

    private NodeHarness(Builder config) {
        this.config = config;
        this.f = config.fixture;
        this.dataDir = config.dataDir;
    }

    /** Changes this harness's configuration for one test; only before its node starts. */
    public NodeHarness configure(Consumer<Builder> change) {
        if (node != null) {
            throw new IllegalStateException("configure the harness before its node starts");
        }
        change.accept(config);
        return this;
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
        return OrchestratorConfig.from(new Settings(k -> Optional.ofNullable(config.settings.get(k))), "test-host");
    }

    public NodeIdentity identity(String id) {
        return HostInfo.thisJvm(id, "test-host");
    }

    /** Builds the node and runs its start-up (register, recover, sanitize); dispatching is by hand. */
    public OrchestratorNode start(String nodeId) {
        node = NodeFactory.node(config(), agents(), config.stores == null ? f.stores : config.stores,
                identity(nodeId), config.clock, new NodeSettings.Commands(OsCommands.require("setsid"),
                        config.killCommand),
                Map.of("PATH", "/usr/bin:/bin", "ORCH_DB_PASSWORD", "secret"), nodeExecutor, config.jitter);
        NodeFactory.wakeAcrossNodes(node, config(), f.ds, config.listenerConnections.apply(
                NodeFactory.listenerConnections(f.db.jdbcUrl(), f.db.user(), f.db.password())));
        control = new JobControl(node, QueueFixture.jobs());
        node.prepare();
        return node;
    }

    /** The started node (null before {@link #start}). */
    public OrchestratorNode node() {
        return node;
    }

    /** Operators' control on the started node, as the API reaches it. */
    public JobControl control() {
        return control;
    }

    /** The job's row as stored. */
    public JobRow job(long id) {
        return JobRow.read(f.ds, id);
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
        return config.clock.instant();
    }

    /** The node's orderly stop, now; {@link #close} then does not stop it again. */
    public void stopNode() {
        OrchestratorNode n = node;
        stopped = true;
        n.stop();
    }

    /** Stops the node and the harness's threads; a second call does nothing. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (node != null && !stopped) {
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
