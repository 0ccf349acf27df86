package dev.orchestrator.jmx;

import java.util.List;
import java.util.Map;

/** dev.orchestrator:type=Queue */
@Description("The Orchestrator job queue (cluster-wide, read from PostgreSQL): job counts, running jobs, capacity, "
        + "pauses; operations pause, resume, cancel and retry, each recorded in the audit trail as jmx:<user>")
public interface QueueMXBean {
    @Description("Jobs by status (queued, running, done, failed, cancelled), all nodes")
    Map<String, Long> getJobCounts();

    @Description("Jobs waiting to be claimed (status queued), all nodes")
    long getQueuedCount();

    @Description("Jobs running now (status running), all nodes")
    long getRunningCount();

    @Description("The running jobs, one line each: id, agent, claiming node, claimed at (UTC), cancel requested")
    List<String> getRunningJobs();

    @Description("ORCH_MAX_CONCURRENCY: the most jobs running at once across the cluster")
    int getCapacity();

    @Description("Paused scopes: '*' for everything, 'repo:NAME' for one repo; none while claiming is free")
    List<String> getPausedScopes();

    @Description("True while claiming is paused for everything (scope '*')")
    boolean isPausedEverywhere();

    @Description("Pauses claiming for one repo, or for everything when repo is empty. Running jobs go on; durable "
            + "and idempotent; audited")
    void pause(@Description(name = "repo", value = "Repo name to pause; empty pauses everything") String repo);

    @Description("Resumes claiming for one repo, or lifts the pause of everything when repo is empty; audited")
    void resume(@Description(name = "repo", value = "Repo name to resume; empty resumes everything") String repo);

    @Description("Cancels a job: a queued job at once; a running job's process group gets TERM then KILL and the "
            + "job ends cancelled. Returns the outcome; an unknown job or a finished one is refused; audited")
    String cancel(@Description(name = "jobId", value = "The job's id") long jobId);

    @Description("Puts a failed or cancelled job back in the queue with its attempts reset. Returns the outcome; an "
            + "unknown job or one in another status is refused; audited")
    String retry(@Description(name = "jobId", value = "The job's id") long jobId);

    @Description("True while the wedge alarm is DOWN: a claimable job has waited longer than ORCH_WEDGE_ALARM_SECONDS "
            + "while a slot is free, or every slot is held by a run that is not alive (GET /wedge names them)")
    boolean isWedged();

    @Description("Seconds the longest-waiting claimable job (no gate holds it) has waited; 0 if none")
    long getOldestClaimableAgeSeconds();

    @Description("Why a queued job is not running: the gates that hold it now, by the claim's own predicates "
            + "(repo_busy, dependency, agent_limit, paused, backoff, cancel_requested, capacity), or 'nothing' if "
            + "the next claim may take it. Read-only")
    List<String> explain(@Description(name = "jobId", value = "The job's id") long jobId);
}
