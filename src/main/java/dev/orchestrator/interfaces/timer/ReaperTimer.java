package dev.orchestrator.interfaces.timer;

import dev.orchestrator.infrastructure.container.Bootstrap;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Triggers the reaper every ORCH_REAPER_INTERVAL_SECONDS with a non-persistent EJB timer (the
 * queue's state lives in PostgreSQL; missed ticks are not replayed). Only a trigger: the work is
 * {@code Reaper.runOnce()}, which never throws.
 */
@Singleton
@Startup
@DependsOn("Bootstrap")
public class ReaperTimer {
    private static final Logger LOG = Logger.getLogger(ReaperTimer.class.getName());

    @Resource
    TimerService timers;

    @Inject
    Bootstrap bootstrap;

    @PostConstruct
    void schedule() {
        long interval = bootstrap.config().reaperInterval().toMillis();
        timers.createIntervalTimer(interval, interval, new TimerConfig("orchestrator-reaper", false));
    }

    @Timeout
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    void tick(Timer timer) {
        try {
            bootstrap.node().reaper().runOnce();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reaper tick failed", e);
        }
    }
}
