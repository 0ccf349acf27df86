package dev.orchestrator.domain.job;

/**
 * What holds a queued job back from the claim right now. Each is one predicate of the claim (see
 * {@code store.ClaimStore}); {@link #NOTHING} means the next claim may take the job.
 */
public enum Gate {
    /** The serial gate: another job of the same repo is running. */
    REPO_BUSY("repo_busy"),
    /** The dependency gate: a job it depends on is not done. */
    DEPENDENCY("dependency"),
    /** The agent runs as many jobs as its limit allows. */
    AGENT_LIMIT("agent_limit"),
    /** Claiming is paused for everything or for the job's repo. */
    PAUSED("paused"),
    /** Backed off after a transient failure: not available before a time. */
    BACKOFF("backoff"),
    /** A cancel was requested; the claim never takes it (the cancellation sweep ends it). */
    CANCEL_REQUESTED("cancel_requested"),
    /** Every slot of the cluster (max concurrency) is taken; named only when no other gate holds the job. */
    CAPACITY("capacity"),
    /** No gate holds it: claimable now. */
    NOTHING("nothing");

    private final String wire;

    Gate(String wire) {
        this.wire = wire;
    }

    /** The name on the wire ({@code repo_busy}, ...). */
    public String wire() {
        return wire;
    }
}
