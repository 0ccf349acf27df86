package dev.orchestrator.boot;

import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.node.NodeLease;
import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.retention.RetentionPruner;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's clocks: non-persistent EJB timers (the queue's state lives in PostgreSQL; missed ticks are not replayed):
 * the reaper every ORCH_REAPER_INTERVAL_SECONDS and this node's heartbeat every
 * ORCH_NODE_HEARTBEAT_SECONDS, retention pruning hourly (first a minute after start). Only triggers:
 * {@code Reaper.runOnce()}, {@code NodeLease.heartbeat()} and {@code RetentionPruner.pruneOnce()} never throw.
 */
@Singleton
@Startup
@DependsOn("Bootstrap")
// Bean-managed concurrency: a long reaper pass (killing orphans takes up to the kill grace each)
// must never hold back the heartbeat, as the default write lock of a singleton would.
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
public class NodeTimers {
    private static final Logger LOG = Logger.getLogger(NodeTimers.class.getName());

    @Resource
    TimerService timers;

    @Inject
    OrchestratorConfig config;

    @Inject
    Reaper reaper;

    @Inject
    NodeLease lease;

    @Inject
    RetentionPruner retention;

    private static final String REAPER = "orchestrator-reaper";
    private static final String HEARTBEAT = "orchestrator-heartbeat";
    private static final String RETENTION = "orchestrator-retention";
    private static final long RETENTION_EVERY_MS = 3_600_000;

    @PostConstruct
    void schedule() {
        long reaper = config.reaperInterval().toMillis();
        timers.createIntervalTimer(reaper, reaper, new TimerConfig(REAPER, false));
        long heartbeat = config.nodeHeartbeat().toMillis();
        timers.createIntervalTimer(heartbeat, heartbeat, new TimerConfig(HEARTBEAT, false));
        timers.createIntervalTimer(60_000, RETENTION_EVERY_MS, new TimerConfig(RETENTION, false));
    }

    private final Map<String, AtomicBoolean> busy = new ConcurrentHashMap<>();

    @Timeout
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    void tick(Timer timer) {
        // each kind of tick runs alone: a tick that finds the previous one still running is skipped
        AtomicBoolean running = busy.computeIfAbsent(String.valueOf(timer.getInfo()), k -> new AtomicBoolean());
        if (!running.compareAndSet(false, true)) {
            return;
        }
        try {
            if (HEARTBEAT.equals(timer.getInfo())) {
                lease.heartbeat();
            } else if (RETENTION.equals(timer.getInfo())) {
                retention.pruneOnce();
                retention.pruneAuditOnce();
                retention.pruneEventsOnce();
            } else {
                reaper.runOnce();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, timer.getInfo() + " tick failed", e);
        } finally {
            running.set(false);
        }
    }
}
