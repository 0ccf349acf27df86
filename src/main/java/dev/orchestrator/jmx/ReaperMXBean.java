package dev.orchestrator.jmx;

import java.util.Map;

/** dev.orchestrator:type=Reaper */
@Description("This node's reaper: what its passes did since the node started (the reaper block of GET /api/queue), "
        + "its switches, and a pass on demand")
public interface ReaperMXBean {
    @Description("The kill-switches as configured (read-only): reaper (ORCH_REAPER_ENABLED) and each switchable step; "
            + "a step is on only while the reaper is on. The cancellations step always runs")
    Map<String, Boolean> getSwitches();

    @Description("Start of the last complete pass (ISO-8601, UTC); empty before the first pass")
    String getLastPassAt();

    @Description("Seconds since the start of the last complete pass; -1 before the first pass")
    long getLastPassAgeSeconds();

    @Description("Duration of the last complete pass in milliseconds; -1 before the first pass")
    long getLastPassDurationMillis();

    @Description("Complete passes since the node started")
    long getTicksTotal();

    @Description("Rows or steps that failed during passes (logged; the pass went on)")
    long getErrorsTotal();

    @Description("Impossible queued rows healed by the sanitizer")
    long getImpossibleQueuedTotal();

    @Description("The last batch the sanitizer healed: count, time and job ids; empty if none")
    String getLastImpossibleQueued();

    @Description("Runs reaped, by reason: dead_process, pid_reused, spawn_grace_expired, lease_expired, timeout")
    Map<String, Long> getReapedTotal();

    @Description("Orphaned process groups of dead nodes' runs killed")
    long getOrphansKilledTotal();

    @Description("Unwatched runs finished from their exit file")
    long getFinishedFromExitFileTotal();

    @Description("Jobs of earlier incarnations of this node taken back at start-up")
    long getRecoveredAtStartup();

    @Description("Runs one reaper pass now (after a pass in progress ends) and returns what it did; with the reaper "
            + "switched off only the cancellations step runs")
    String runNow();
}
