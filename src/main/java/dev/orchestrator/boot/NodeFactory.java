package dev.orchestrator.boot;

import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.node.NodeIdentity;
import dev.orchestrator.node.NodeSettings;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.run.BackoffPolicy;
import dev.orchestrator.run.NodeContext;
import dev.orchestrator.run.QueueEvents;
import dev.orchestrator.run.RetryRules;
import dev.orchestrator.store.QueueStores;
import dev.orchestrator.store.WakeChannel;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.function.DoubleSupplier;
import javax.sql.DataSource;

/**
 * Builds a node from the validated configuration: the one place that turns settings into the plain
 * values the parts below take. The server ({@link Bootstrap}) and the tests build nodes through it,
 * so a test runs what the server runs.
 */
public final class NodeFactory {
    private NodeFactory() {
    }

    /** The node's settings as plain values. */
    public static NodeSettings settings(OrchestratorConfig config, AgentCatalog agents, DoubleSupplier jitter) {
        return new NodeSettings(
                new ClaimPolicy(config.maxConcurrency(), config.serialGateEnabled(), config.taskDepsEnabled(),
                        agents.limits()),
                config.dispatchPollInterval(),
                new RetryRules(new BackoffPolicy(config.transientBackoffBase(), config.transientBackoffMax(), jitter),
                        config.maxTransientAttempts(), config.transientOutputPatterns(), config.transientOutputLines()),
                config.killGrace(),
                config.reposDir(),
                config.runsDir(),
                Duration.ofDays(config.retentionDays()),
                Duration.ofDays(config.auditRetentionDays()),
                Duration.ofHours(config.eventRetentionHours()),
                new NodeSettings.ReaperSwitches(config.reaperEnabled(), config.impossibleQueuedSanitizeEnabled(),
                        config.livenessCheckEnabled(), config.leaseReclaimEnabled(), config.timeoutBackstopEnabled(),
                        config.spawnGrace()),
                config.nodeLease(),
                config.wedgeAlarm());
    }

    /**
     * A node with its own counters.
     *
     * @param jitter random values in [0, 1) for the transient back-off's full jitter
     */
    public static OrchestratorNode node(OrchestratorConfig config, AgentCatalog agents, QueueStores stores,
                                        NodeIdentity identity, Clock clock, NodeSettings.Commands commands,
                                        Map<String, String> serverEnv, Executor executor, DoubleSupplier jitter) {
        NodeContext context = new NodeContext(identity, clock, new QueueEvents(), config.killGrace(), executor);
        return new OrchestratorNode(context, settings(config, agents, jitter), commands, agents, stores, serverEnv);
    }

    /**
     * Wake-ups across nodes when ORCH_NOTIFY_ENABLED (the default): announcements on {@code pool},
     * the listener on its own connections from {@code listenerConnections}. Before {@code prepare}.
     */
    public static void wakeAcrossNodes(OrchestratorNode node, OrchestratorConfig config, DataSource pool,
                                       WakeChannel.Connector listenerConnections) {
        if (config.notifyEnabled()) {
            node.wakeAcrossNodes(new WakeChannel(pool, listenerConnections));
        }
    }

    /**
     * Dedicated connections for the wake-up listener, outside every pool (a LISTEN would follow a
     * pooled connection to its next borrower). The driver is instantiated directly, as the queue's
     * pool does, not looked up in {@code DriverManager} (which may not see the WAR's driver).
     */
    public static WakeChannel.Connector listenerConnections(String url, String user, String password) {
        return () -> {
            Properties p = new Properties();
            if (user != null) {
                p.setProperty("user", user);
            }
            if (password != null) {
                p.setProperty("password", password);
            }
            p.setProperty("ApplicationName", "orchestrator-wake-listener");
            p.setProperty("connectTimeout", "10");
            p.setProperty("tcpKeepAlive", "true");
            Connection c = new org.postgresql.Driver().connect(url, p);
            if (c == null) {
                throw new SQLException("not a PostgreSQL JDBC URL: " + url);
            }
            return c;
        };
    }
}
