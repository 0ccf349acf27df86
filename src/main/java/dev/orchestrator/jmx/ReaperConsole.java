package dev.orchestrator.jmx;

import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.reaper.ReaperStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/** {@link ReaperMXBean} over the node's {@link Reaper}; {@code runNow} is in the audit trail ({@value #ACTION}). */
public final class ReaperConsole implements ReaperMXBean {
    private static final Logger LOG = Logger.getLogger(ReaperConsole.class.getName());

    /** The audit trail's action of a pass run from JMX. */
    public static final String ACTION = "reaper_run";

    private final OrchestratorNode node;
    private final Reaper reaper;
    private final Clock clock;
    private final InContainer container;

    public ReaperConsole(OrchestratorNode node, InContainer container) {
        this.node = node;
        this.reaper = node.reaper();
        this.clock = node.context().clock();
        this.container = container;
    }

    private ReaperStatus status() {
        return reaper.status();
    }

    @Override
    public Map<String, Boolean> getSwitches() {
        return status().enabled();
    }

    @Override
    public String getLastPassAt() {
        return status().lastTickAt() == null ? "" : status().lastTickAt().toString();
    }

    @Override
    public long getLastPassAgeSeconds() {
        var at = status().lastTickAt();
        return at == null ? -1 : Math.max(0, Duration.between(at, clock.instant()).toSeconds());
    }

    @Override
    public long getLastPassDurationMillis() {
        Long ms = status().lastTickMs();
        return ms == null ? -1 : ms;
    }

    @Override
    public long getTicksTotal() {
        return status().ticksTotal();
    }

    @Override
    public long getErrorsTotal() {
        return status().errorsTotal();
    }

    @Override
    public long getImpossibleQueuedTotal() {
        return status().impossibleQueuedTotal();
    }

    @Override
    public String getLastImpossibleQueued() {
        ReaperStatus.LastImpossibleQueued last = status().lastImpossibleQueued();
        return last == null ? "" : last.count() + " at " + last.at() + ": jobs " + last.jobIds();
    }

    @Override
    public Map<String, Long> getReapedTotal() {
        return status().reapedTotal();
    }

    @Override
    public long getOrphansKilledTotal() {
        return status().orphansKilledTotal();
    }

    @Override
    public long getFinishedFromExitFileTotal() {
        return status().finishedFromExitFileTotal();
    }

    @Override
    public long getRecoveredAtStartup() {
        return status().recoveredAtStartup();
    }

    @Override
    public String runNow() {
        return JmxErrors.clean("runNow", () -> {
            var caller = JmxCallers.current();
            Reaper.Pass pass = container.call(reaper::runOnce);
            String done = "reaper pass: sanitized " + pass.sanitized() + ", reaped " + pass.reaped() + ", errors "
                    + pass.errors();
            node.stores().audit().record(AuditEvent.of(caller, clock.instant(), ACTION, "node:" + node.context().id(),
                    AuditEvent.Result.DONE, done));
            LOG.log(Level.INFO, "JMX: {0} ran a reaper pass: {1}", new Object[] {caller.name(), done});
            return done;
        });
    }
}
