package dev.orchestrator.domain.job;

import dev.orchestrator.domain.run.AgentRun;
import java.util.List;
import java.util.Optional;

/** Entity-managed access to jobs and their runs (the hot transitions live in the queue's SQL). */
public interface JobRepository {
    /** Persists a new job in its own transaction and returns it with its id. */
    Job add(Job job);

    Optional<Job> find(long id);

    /** The job's runs, oldest first. */
    List<AgentRun> runsOf(long jobId);

    /** Running jobs, oldest claim first. */
    List<Job> running();
}
