package dev.orchestrator.application;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.AgentDefinition;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.infrastructure.config.OrchestratorConfig;
import dev.orchestrator.infrastructure.config.Settings;
import dev.orchestrator.infrastructure.process.HostInfo;
import dev.orchestrator.infrastructure.process.OsCommands;
import dev.orchestrator.testing.QueueFixture;
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
final class NodeHarness implements AutoCloseable {
    static final Path AGENTS = Path.of("src/test/agents").toAbsolutePath();

    final QueueFixture f = new QueueFixture();
    final Path dataDir;
    final Map<String, String> settings = new HashMap<>();
    final ExecutorService executor = Executors.newCachedThreadPool();
    Clock clock = Clock.systemUTC();
    OrchestratorNode node;

    NodeHarness(Path dataDir) {
        this.dataDir = dataDir;
        settings.put("ORCH_DATA_DIR", dataDir.toString());
        settings.put("ORCH_AGENTS_FILE", dataDir.resolve("unused-agents.json").toString());
        settings.put("ORCH_KILL_GRACE_SECONDS", "5");
    }

    static AgentCatalog agents() {
        return new AgentCatalog(Map.of(
                "ok", agent("ok", List.of(AGENTS + "/exit-with.sh", "0")),
                "fail", agent("fail", List.of(AGENTS + "/exit-with.sh", "1")),
                "flaky", new AgentDefinition("flaky", List.of(AGENTS + "/exit-with.sh", "75"),
                        Duration.ofMinutes(1), Map.of(), Set.of(75)),
                "payload", new AgentDefinition("payload", List.of(AGENTS + "/show-payload.sh"), Duration.ofMinutes(1),
                        Map.of("AGENT_GREETING", "hello"), Set.of()),
                "wait", agent("wait", List.of(AGENTS + "/wait-for-file.sh", "../release")),
                "tree", agent("tree", List.of(AGENTS + "/spawn-tree.sh", "child.pid")),
                "missing", agent("missing", List.of("/no/such/executable"))));
    }

    private static AgentDefinition agent(String name, List<String> argv) {
        return new AgentDefinition(name, argv, Duration.ofMinutes(1), Map.of(), Set.of());
    }

    OrchestratorConfig config() {
        return OrchestratorConfig.from(new Settings(k -> Optional.ofNullable(settings.get(k))), "test-host");
    }

    NodeIdentity identity(String id) {
        ProcessHandle self = ProcessHandle.current();
        return new NodeIdentity(id, "test-host", HostInfo.bootId(), self.pid(),
                self.info().startInstant().map(t -> t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).orElse(null));
    }

    OrchestratorNode start(String nodeId) {
        node = new OrchestratorNode(config(), agents(), f.store, identity(nodeId), clock,
                new OrchestratorNode.Commands(OsCommands.require("setsid"), OsCommands.require("kill")),
                Map.of("PATH", "/usr/bin:/bin", "ORCH_DB_PASSWORD", "secret"), executor);
        node.prepare();
        return node;
    }

    Path repoDir(String repo) {
        return dataDir.resolve("repos").resolve(repo);
    }

    Path release() {
        return dataDir.resolve("repos").resolve("release");
    }

    Instant now() {
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
