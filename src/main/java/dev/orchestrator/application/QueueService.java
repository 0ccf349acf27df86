package dev.orchestrator.application;

import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.run.AgentRun;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The queue's use cases for clients: enqueue, look up a job, overview. */
public class QueueService {
    /** A job with its runs. */
    public record JobDetails(Job job, List<AgentRun> runs) {
    }

    /** The queue at a glance. */
    public record Overview(Map<JobStatus, Long> counts, int maxConcurrency, List<Job> running, ReaperStatus reaper) {
    }

    public static final int MAX_PAYLOAD_CHARS = 1_000_000;

    private final JobRepository jobs;
    private final AgentCatalog agents;
    private final OrchestratorNode node;
    private final Clock clock;
    private final int defaultMaxAttempts;

    public QueueService(JobRepository jobs, AgentCatalog agents, OrchestratorNode node, Clock clock,
                        int defaultMaxAttempts) {
        this.jobs = jobs;
        this.agents = agents;
        this.node = node;
        this.clock = clock;
        this.defaultMaxAttempts = defaultMaxAttempts;
    }

    /** Validates, persists (committed on return) and wakes the dispatcher. Invalid input writes nothing. */
    public Job enqueue(EnqueueCommand cmd) {
        NewJob spec = validate(cmd);
        // PostgreSQL keeps microseconds: truncate so the response shows what is stored
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
        Job job = jobs.add(Job.enqueue(spec, now));
        node.wake();
        return job;
    }

    NewJob validate(EnqueueCommand cmd) {
        if (cmd.agent() == null) {
            throw new InvalidRequestException("agent", "agent is required");
        }
        if (agents.find(cmd.agent()).isEmpty()) {
            throw new InvalidRequestException("agent", "unknown agent '" + cmd.agent() + "'; configured agents: "
                    + agents.names());
        }
        if (cmd.repo() == null) {
            throw new InvalidRequestException("repo", "repo is required");
        }
        String repoProblem = RepoName.problem(cmd.repo());
        if (repoProblem != null) {
            throw new InvalidRequestException("repo", repoProblem);
        }
        String payload = cmd.payloadJson() == null ? "{}" : cmd.payloadJson();
        if (payload.length() > MAX_PAYLOAD_CHARS) {
            throw new InvalidRequestException("payload", "payload is larger than " + MAX_PAYLOAD_CHARS
                    + " characters of JSON");
        }
        int priority = cmd.priority() == null ? 0 : cmd.priority();
        if (priority < NewJob.MIN_PRIORITY || priority > NewJob.MAX_PRIORITY) {
            throw new InvalidRequestException("priority", "priority must be between " + NewJob.MIN_PRIORITY
                    + " and " + NewJob.MAX_PRIORITY + " (higher runs first)");
        }
        int maxAttempts = cmd.maxAttempts() == null ? defaultMaxAttempts : cmd.maxAttempts();
        if (maxAttempts < 1 || maxAttempts > NewJob.MAX_MAX_ATTEMPTS) {
            throw new InvalidRequestException("max_attempts", "max_attempts must be between 1 and "
                    + NewJob.MAX_MAX_ATTEMPTS);
        }
        return new NewJob(cmd.agent(), new RepoName(cmd.repo()), payload, priority, maxAttempts);
    }

    public Optional<JobDetails> job(long id) {
        return jobs.find(id).map(j -> new JobDetails(j, jobs.runsOf(id)));
    }

    public Overview overview() {
        return new Overview(node.store().statusCounts(), node.dispatcher().maxConcurrency(), jobs.running(),
                node.reaperStatus());
    }
}
