package dev.orchestrator.retention;

import dev.orchestrator.runfiles.RunFilesLayout;
import dev.orchestrator.store.AuditStore;
import dev.orchestrator.store.ControlStore;
import dev.orchestrator.store.EventStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Deletes finished jobs (done, failed, cancelled) older than ORCH_RETENTION_DAYS, with their runs,
 * dependency rows and run files, in batches of short transactions so no lock is held for long. A
 * finished job that a queued or running job still depends on is kept. 0 days keeps everything.
 */
public final class RetentionPruner {
    private static final Logger LOG = Logger.getLogger(RetentionPruner.class.getName());
    static final int BATCH = 500;
    /** Events are small rows deleted by position: larger batches. */
    static final int EVENT_BATCH = 5_000;

    private final ControlStore control;
    private final AuditStore audit;
    private final EventStore events;
    private final RunFilesLayout runFiles;
    private final Duration retention;
    private final Duration auditRetention;
    private final Duration eventRetention;
    private final Clock clock;

    public RetentionPruner(ControlStore control, AuditStore audit, EventStore events, RunFilesLayout runFiles,
                           Duration retention, Duration auditRetention, Duration eventRetention, Clock clock) {
        this.control = control;
        this.audit = audit;
        this.events = events;
        this.runFiles = runFiles;
        this.retention = retention;
        this.auditRetention = auditRetention;
        this.eventRetention = eventRetention;
        this.clock = clock;
    }

    /**
     * Deletes audit events older than ORCH_AUDIT_RETENTION_DAYS in batches; returns how many. 0 days
     * keeps them all. Never throws.
     */
    public int pruneAuditOnce() {
        if (auditRetention.isZero()) {
            return 0;
        }
        Instant cutoff = clock.instant().minus(auditRetention);
        int total = 0;
        try {
            int batch;
            do {
                batch = audit.prune(cutoff, BATCH);
                total += batch;
            } while (batch == BATCH);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "audit retention pass failed after pruning " + total + " event(s); the next pass "
                    + "goes on", e);
        }
        if (total > 0) {
            LOG.log(Level.INFO, "retention: pruned {0} audit event(s) from before {1}", new Object[] {total, cutoff});
        }
        return total;
    }

    /**
     * Deletes the event feed's events older than ORCH_EVENT_RETENTION_HOURS, oldest first, in batches;
     * returns how many. A client resuming from before them is told it missed events (410). 0 keeps them
     * all. Never throws.
     */
    public int pruneEventsOnce() {
        if (eventRetention.isZero()) {
            return 0;
        }
        Instant cutoff = clock.instant().minus(eventRetention);
        int total = 0;
        try {
            int batch;
            do {
                batch = events.prune(cutoff, EVENT_BATCH);
                total += batch;
            } while (batch == EVENT_BATCH);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "event retention pass failed after pruning " + total + " event(s); the next pass "
                    + "goes on", e);
        }
        if (total > 0) {
            LOG.log(Level.INFO, "retention: pruned {0} feed event(s) from before {1}", new Object[] {total, cutoff});
        }
        return total;
    }

    /** One pruning pass; returns how many jobs were deleted. Never throws. */
    public int pruneOnce() {
        if (retention.isZero()) {
            return 0;
        }
        Instant cutoff = clock.instant().minus(retention);
        int total = 0;
        try {
            List<Long> batch;
            do {
                batch = control.pruneFinished(cutoff, BATCH);
                batch.forEach(this::deleteRunFiles);
                total += batch.size();
            } while (batch.size() == BATCH);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "retention pass failed after pruning " + total + " job(s); the next pass goes on", e);
        }
        if (total > 0) {
            LOG.log(Level.INFO, "retention: pruned {0} job(s) finished before {1}", new Object[] {total, cutoff});
        }
        return total;
    }

    private void deleteRunFiles(long jobId) {
        Path dir = runFiles.jobDir(jobId);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete the run files of pruned job " + jobId + " under " + dir, e);
        }
    }
}
