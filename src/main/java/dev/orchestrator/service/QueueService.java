package dev.orchestrator.service;

import dev.orchestrator.node.NodeLease;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.reaper.ReaperStatus;
import dev.orchestrator.runfiles.LogTail;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.agent.AgentCatalog;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimableJob;
import dev.orchestrator.domain.job.Gate;
import dev.orchestrator.domain.job.Hold;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.job.UnknownDependencyException;
import dev.orchestrator.domain.run.AgentRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The queue's use cases for clients: enqueue, look up a job or a run's log, the overview. */
public class QueueService {
    /** A job with its runs and, for a queued job, the gates that hold it now (null otherwise). */
    public record JobDetails(Job job, List<AgentRun> runs, List<Hold> waitingFor) {
    }

    /** The queue at a glance. */
    public record Overview(Map<JobStatus, Long> counts, int maxConcurrency, List<Job> running, ReaperStatus reaper,
                           NodeLease.Status node, List<String> pauses, ClaimPolicy gates, Map<Gate, Long> waiting) {
    }

    /** An enqueue's answer: the job, and whether it was an earlier request's job (same Idempotency-Key). */
    public record Enqueued(Job job, boolean replayed) {
    }

    /** A page of the job list; {@code nextCursor} is null on the last page. */
    public record Page(List<Job> jobs, Long nextCursor) {
    }

    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;
    public static final int MAX_PAGE = 500;

    public static final int MAX_PAYLOAD_CHARS = 1_000_000;

    private final JobRepository jobs;
    private final AgentCatalog agents;
    private final OrchestratorNode node;
    private final int defaultMaxAttempts;

    public QueueService(JobRepository jobs, AgentCatalog agents, OrchestratorNode node, int defaultMaxAttempts) {
        this.jobs = jobs;
        this.agents = agents;
        this.node = node;
        this.defaultMaxAttempts = defaultMaxAttempts;
    }

    /**
     * Validates, persists (committed on return) and wakes the dispatcher; invalid input writes
     * nothing. Remembered under {@code idempotencyKey} (null for none): the same key with the same
     * request returns the first job; with another request it is refused.
     */
    public Enqueued enqueue(EnqueueCommand cmd, String idempotencyKey, Caller caller) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH
                || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw new InvalidRequestException("Idempotency-Key", "Idempotency-Key must be 1.."
                    + MAX_IDEMPOTENCY_KEY_LENGTH + " printable ASCII characters without spaces");
        }
        NewJob spec = validate(cmd);
        if (!caller.mayTouch(spec.repo().value())) {
            String why = "token '" + caller.name() + "' may not enqueue for repo '" + spec.repo().value()
                    + "' (it is limited to repos " + caller.repos().patterns() + ")";
            node.stores().audit().record(AuditEvent.of(caller, node.context().clock().instant(), AuditEvent.ENQUEUE,
                    "repo:" + spec.repo().value(), AuditEvent.Result.FORBIDDEN, why));
            throw new AccessDeniedException(why);
        }
        if (idempotencyKey != null) {
            Optional<Job> earlier = jobs.findByIdempotencyKey(idempotencyKey);
            if (earlier.isPresent()) {
                return replay(earlier.get(), spec, idempotencyKey, caller);
            }
        }
        // PostgreSQL keeps microseconds: truncate so the response shows what is stored
        OffsetDateTime now = OffsetDateTime.ofInstant(node.context().clock().instant().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
        Job job;
        try {
            job = jobs.add(Job.enqueue(spec, now, idempotencyKey, caller.name()), spec.dependsOn());
        } catch (UnknownDependencyException e) {
            throw new InvalidRequestException("depends_on", "depends_on names unknown job(s) " + e.ids()
                    + " (pruned by retention while the request was handled)");
        } catch (RuntimeException e) {
            // two requests with one new key at once: the unique index let one in; answer as it did
            Optional<Job> winner = idempotencyKey == null ? Optional.empty() : jobs.findByIdempotencyKey(idempotencyKey);
            if (winner.isPresent()) {
                return replay(winner.get(), spec, idempotencyKey, caller);
            }
            throw e;
        }
        if (!spec.dependsOn().isEmpty()) {
            node.cancelDoomed(); // a dependency that already failed dooms the new job at once
        }
        node.wake();
        return new Enqueued(job, false);
    }

    private Enqueued replay(Job earlier, NewJob spec, String key, Caller caller) {
        if (!java.util.Objects.equals(earlier.submittedBy(), caller.name())) {
            // another client's key: never hand its job out, never say which job it was
            throw new ConflictException("Idempotency-Key '" + key + "' was already used by another client", -1);
        }
        if (!spec.requestHash().equals(earlier.requestHash())) {
            throw new ConflictException("Idempotency-Key '" + key + "' was used for job " + earlier.id()
                    + " with a different request", earlier.id());
        }
        return new Enqueued(earlier, true);
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
        List<Long> deps = cmd.dependsOn() == null ? List.of() : cmd.dependsOn();
        if (deps.size() > NewJob.MAX_DEPENDENCIES) {
            throw new InvalidRequestException("depends_on", "depends_on lists more than " + NewJob.MAX_DEPENDENCIES
                    + " jobs");
        }
        if (!deps.isEmpty()) {
            java.util.Set<Long> existing = jobs.existing(deps);
            List<Long> unknown = deps.stream().filter(d -> !existing.contains(d)).distinct().sorted().toList();
            if (!unknown.isEmpty()) {
                throw new InvalidRequestException("depends_on", "depends_on names unknown job(s) " + unknown
                        + " (a job can only depend on jobs that already exist, so no cycle can form)");
            }
        }
        return new NewJob(cmd.agent(), new RepoName(cmd.repo()), payload, priority, maxAttempts, deps);
    }

    /** Jobs newest first, filtered, one page after {@code cursor} (the last id of the previous page). */
    public Page list(JobRepository.ListFilter filter, Long cursor, int limit, Caller caller) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new InvalidRequestException("limit", "limit must be between 1 and " + MAX_PAGE);
        }
        if (filter.repo() != null && RepoName.problem(filter.repo()) != null) {
            throw new InvalidRequestException("repo", RepoName.problem(filter.repo()));
        }
        List<Job> page = jobs.list(new JobRepository.ListFilter(filter.status(), filter.repo(), filter.agent(),
                caller.repos()), cursor, limit + 1);
        boolean more = page.size() > limit;
        List<Job> shown = more ? page.subList(0, limit) : page;
        return new Page(shown, more ? shown.get(shown.size() - 1).id() : null);
    }

    /** The run, if it exists and its job's repo is in the caller's scope. */
    public Optional<AgentRun> run(long runId, Caller caller) {
        return jobs.findRun(runId).filter(r -> caller.repos().unrestricted()
                || jobs.find(r.jobId()).map(j -> caller.mayTouch(j.repo())).orElse(false));
    }

    public List<Long> dependenciesOf(long jobId) {
        return jobs.dependenciesOf(jobId);
    }

    /**
     * The last {@code lines} lines of a run's log (at most {@code maxBytes} read from its end);
     * empty if this node has no log file for the run (it never started here, or it was pruned).
     */
    public Optional<List<String>> logTail(AgentRun run, int lines, int maxBytes) {
        Path log = Path.of(run.logPath());
        return Files.isRegularFile(log) ? Optional.of(LogTail.lastLines(log, lines, maxBytes)) : Optional.empty();
    }

    /** The job with its runs, if it exists and its repo is in the caller's scope. */
    public Optional<JobDetails> job(long id, Caller caller) {
        return jobs.find(id).filter(j -> caller.mayTouch(j.repo())).map(j -> new JobDetails(j, jobs.runsOf(id),
                j.status() == JobStatus.QUEUED ? holds(id).orElse(null) : null));
    }

    /**
     * Why job {@code id} is not running: the gates that hold it now, by the claim's own predicates
     * ({@code [NOTHING]}: the next claim may take it). Empty if there is no such job or it is out of
     * the caller's scope; an empty list if the job is not queued.
     */
    public Optional<List<Hold>> explain(long id, Caller caller) {
        return jobs.find(id).filter(j -> caller.mayTouch(j.repo())).map(j -> holds(id).orElse(List.of()));
    }

    /**
     * Queued jobs no gate of their own holds (only capacity may), longest-waiting first, with their
     * age; cluster-wide (for the wedge alarm and an oldest-claimable-age metric, not for clients).
     */
    public List<ClaimableJob> claimable(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new InvalidRequestException("limit", "limit must be between 1 and " + MAX_PAGE);
        }
        return node.stores().claims().claimable(node.context().clock().instant(), node.policy(), limit);
    }

    private Optional<List<Hold>> holds(long id) {
        return node.stores().claims().holds(id, node.context().clock().instant(), node.policy());
    }

    /**
     * The queue at a glance. The counts are cluster-wide for every caller; the running jobs listed
     * are those of the caller's repos.
     */
    public Overview overview(Caller caller) {
        return new Overview(node.stores().control().statusCounts(), node.policy().maxConcurrency(),
                jobs.running().stream().filter(j -> caller.mayTouch(j.repo())).toList(),
                node.reaperStatus(), node.lease().status(), node.stores().control().pauses(), node.policy(),
                node.stores().claims().gateCounts(node.context().clock().instant(), node.policy()));
    }
}
