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
import dev.orchestrator.domain.job.IdempotencyKeyTakenException;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.domain.job.NewJobBatch;
import dev.orchestrator.domain.job.UnknownDependencyException;
import dev.orchestrator.domain.run.AgentRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import dev.orchestrator.store.EnqueueStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;
import java.util.Optional;

/** The queue's use cases for clients: enqueue, look up a job or a run's log, the overview. */
public class QueueService {
    /**
     * A job with the ids it depends on, its runs, and, for a queued job, the gates that hold it now
     * (null otherwise).
     */
    public record JobDetails(Job job, List<Long> dependsOn, List<AgentRun> runs, List<Hold> waitingFor) {
    }

    /** The queue at a glance. */
    public record Overview(Map<JobStatus, Long> counts, int maxConcurrency, List<Job> running, ReaperStatus reaper,
                           NodeLease.Status node, List<String> pauses, ClaimPolicy gates, Map<Gate, Long> waiting) {
    }

    /**
     * An enqueue's answer: the job, whether it was an earlier request's job (same Idempotency-Key),
     * and, for a new job, the ids it depends on (null on a replay).
     */
    public record Enqueued(Job job, boolean replayed, List<Long> dependsOn) {
    }

    /**
     * A batch enqueue's answer: the jobs in item order, whether they were an earlier request's (same
     * key), and, for new jobs, the ids each depends on (null on a replay).
     */
    public record EnqueuedBatch(List<Job> jobs, boolean replayed, List<List<Long>> dependsOn) {
    }

    /** A page of the job list; {@code nextCursor} is null on the last page. */
    public record Page(List<Job> jobs, Long nextCursor) {
    }

    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 200;
    public static final int MAX_PAGE = 500;

    public static final int MAX_PAYLOAD_CHARS = 1_000_000;
    /** The most jobs one batch enqueue takes. */
    public static final int MAX_BATCH_JOBS = 1000;

    private final JobRepository jobs;
    private final EnqueueStore enqueues;
    private final AgentCatalog agents;
    private final OrchestratorNode node;
    private final int defaultMaxAttempts;

    public QueueService(JobRepository jobs, EnqueueStore enqueues, AgentCatalog agents, OrchestratorNode node,
                        int defaultMaxAttempts) {
        this.jobs = jobs;
        this.enqueues = enqueues;
        this.agents = agents;
        this.node = node;
        this.defaultMaxAttempts = defaultMaxAttempts;
    }

    /**
     * Validates, persists (committed on return) and wakes the dispatcher; invalid input writes
     * nothing. Remembered under {@code idempotencyKey} (null for none): the same key with the same
     * request returns the first job; with another request it is refused. The job answered is the
     * one written (queued, no runs), not read back.
     */
    public Enqueued enqueue(EnqueueCommand cmd, String idempotencyKey, Caller caller) {
        checkKey(idempotencyKey);
        NewJob spec = validate(cmd);
        if (!caller.mayTouch(spec.repo().value())) {
            String why = "token '" + caller.name() + "' may not enqueue for repo '" + spec.repo().value()
                    + "' (it is limited to repos " + caller.repos().patterns() + ")";
            refuse(caller, spec.repo().value(), why);
        }
        Job job = Job.enqueue(spec, now(), idempotencyKey, caller.name());
        long id;
        try {
            id = enqueues.insert(List.of(job), List.of(spec.dependsOn()), List.of(List.of())).get(0);
        } catch (UnknownDependencyException e) {
            throw new InvalidRequestException("depends_on", "depends_on names unknown job(s) " + e.ids()
                    + " (pruned by retention while the request was handled)");
        } catch (IdempotencyKeyTakenException e) {
            // the key is stored: an earlier request's, or one that committed first just now
            EnqueueStore.KeyedJob earlier = enqueues.byKeys(List.of(idempotencyKey)).stream().findFirst()
                    .orElseThrow(() -> e);
            checkReplay(earlier, spec.requestHash(), idempotencyKey, caller);
            return new Enqueued(jobs.find(earlier.id()).orElseThrow(() -> e), true, null);
        }
        Job stored = job.stored(id);
        if (!spec.dependsOn().isEmpty()) {
            node.cancelDoomed(); // a dependency that already failed dooms the new job at once
            stored = jobs.find(id).orElse(stored); // and the answer shows it cancelled
        }
        node.wake();
        return new Enqueued(stored, false, spec.dependsOn());
    }

    /**
     * A batch: validates every item (a bad one: 400 listing every bad item's error), checks each
     * item's repo against the caller's scope (403 naming the items), then writes all jobs and their
     * dependencies in one transaction, all or nothing, and wakes the dispatcher. An
     * {@code idempotencyKey} covers the whole batch: the same key with the same batch answers the
     * same jobs again, with another batch (or a single enqueue's key) it is refused.
     */
    public EnqueuedBatch enqueueBatch(EnqueueBatchCommand cmd, String idempotencyKey, Caller caller) {
        checkKey(idempotencyKey);
        if (cmd.jobs().isEmpty() || cmd.jobs().size() > MAX_BATCH_JOBS) {
            throw new InvalidRequestException("jobs", "jobs must hold 1.." + MAX_BATCH_JOBS + " jobs; it holds "
                    + cmd.jobs().size());
        }
        List<InvalidBatchException.ItemError> errors = new ArrayList<>(cmd.errors());
        Set<Integer> badItems = new HashSet<>();
        cmd.errors().forEach(e -> badItems.add(e.index()));
        List<NewJob> specs = new ArrayList<>(cmd.jobs().size());
        List<List<Integer>> earlier = new ArrayList<>(cmd.jobs().size());
        for (int i = 0; i < cmd.jobs().size(); i++) {
            EnqueueCommand item = cmd.jobs().get(i);
            if (badItems.contains(i) || item == null) {
                specs.add(null);
                earlier.add(List.of());
                continue;
            }
            try {
                List<Integer> indexes = item.dependsOnIndex() == null ? List.of() : item.dependsOnIndex();
                for (int d : indexes) {
                    if (d < 0 || d >= i) {
                        throw new InvalidRequestException("depends_on_index", "depends_on_index may only name "
                                + "earlier jobs of the batch (" + (i == 0 ? "none for the first job" : "0.." + (i - 1))
                                + "), not " + d);
                    }
                }
                NewJob spec = validateFields(item);
                if (spec.dependsOn().size() + new TreeSet<>(indexes).size() > NewJob.MAX_DEPENDENCIES) {
                    throw new InvalidRequestException("depends_on", "depends_on and depends_on_index list more "
                            + "than " + NewJob.MAX_DEPENDENCIES + " jobs together");
                }
                specs.add(spec);
                earlier.add(indexes);
            } catch (InvalidRequestException e) {
                errors.add(InvalidBatchException.ItemError.of(i, e.field(), e.getMessage()));
                badItems.add(i);
                specs.add(null);
                earlier.add(List.of());
            }
        }
        Set<Long> named = new TreeSet<>();
        specs.stream().filter(java.util.Objects::nonNull).forEach(s -> named.addAll(s.dependsOn()));
        if (!named.isEmpty()) {
            Set<Long> existing = enqueues.existing(named);
            for (int i = 0; i < specs.size(); i++) {
                NewJob s = specs.get(i);
                List<Long> unknown = s == null ? List.of() : s.dependsOn().stream().filter(d -> !existing.contains(d))
                        .toList();
                if (!unknown.isEmpty()) {
                    errors.add(InvalidBatchException.ItemError.of(i, "depends_on", "depends_on names unknown job(s) "
                            + unknown + " (a job can only depend on jobs that already exist or on earlier jobs of "
                            + "the batch, so no cycle can form)"));
                }
            }
        }
        if (!errors.isEmpty()) {
            errors.sort(java.util.Comparator.comparingInt(InvalidBatchException.ItemError::index));
            throw new InvalidBatchException(errors);
        }
        List<Integer> forbidden = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            if (!caller.mayTouch(specs.get(i).repo().value())) {
                forbidden.add(i);
            }
        }
        if (!forbidden.isEmpty()) {
            int first = forbidden.get(0);
            String why = "token '" + caller.name() + "' may not enqueue for repo '" + specs.get(first).repo().value()
                    + "' (jobs[" + first + "]" + (forbidden.size() > 1 ? " and " + (forbidden.size() - 1)
                    + " more: jobs" + forbidden.subList(0, Math.min(forbidden.size(), 20)) : "")
                    + "; it is limited to repos " + caller.repos().patterns() + "); nothing was enqueued";
            refuse(caller, specs.get(first).repo().value(), why);
        }
        NewJobBatch batch = new NewJobBatch(specs, earlier);
        String hash = idempotencyKey == null ? null : batch.requestHash();
        OffsetDateTime now = now();
        List<Job> fresh = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            fresh.add(Job.enqueueInBatch(specs.get(i), now, idempotencyKey == null ? null
                    : NewJobBatch.itemKey(idempotencyKey, i), hash, caller.name()));
        }
        List<Long> ids;
        try {
            ids = enqueues.insert(fresh, specs.stream().map(NewJob::dependsOn).toList(), batch.dependsOnIndex());
        } catch (UnknownDependencyException e) {
            List<InvalidBatchException.ItemError> gone = new ArrayList<>();
            for (int i = 0; i < specs.size(); i++) {
                List<Long> unknown = specs.get(i).dependsOn().stream().filter(e.ids()::contains).toList();
                if (!unknown.isEmpty()) {
                    gone.add(InvalidBatchException.ItemError.of(i, "depends_on", "depends_on names unknown job(s) "
                            + unknown + " (pruned by retention while the request was handled)"));
                }
            }
            throw new InvalidBatchException(gone.isEmpty()
                    ? List.of(InvalidBatchException.ItemError.of(0, "depends_on", e.getMessage())) : gone);
        } catch (IdempotencyKeyTakenException e) {
            return replayBatch(idempotencyKey, batch, hash, caller, e);
        }
        List<Job> stored = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            stored.add(fresh.get(i).stored(ids.get(i)));
        }
        if (specs.stream().anyMatch(s -> !s.dependsOn().isEmpty())) {
            node.cancelDoomed(); // a dependency that already failed dooms its dependants at once
            List<Job> current = jobs.findAll(ids); // and the answer shows them cancelled
            if (current.size() == ids.size()) {
                stored = current;
            }
        }
        node.wake();
        List<List<Long>> edges = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Set<Long> deps = new TreeSet<>(specs.get(i).dependsOn());
            batch.dependsOnIndex().get(i).forEach(d -> deps.add(ids.get(d)));
            edges.add(List.copyOf(deps));
        }
        return new EnqueuedBatch(stored, false, edges);
    }

    private EnqueuedBatch replayBatch(String key, NewJobBatch batch, String hash, Caller caller, RuntimeException e) {
        List<String> keys = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            keys.add(NewJobBatch.itemKey(key, i));
        }
        List<EnqueueStore.KeyedJob> earlier = enqueues.byKeys(keys);
        if (earlier.isEmpty()) {
            throw e; // the key's jobs were pruned between the insert and this read: the client may retry
        }
        for (EnqueueStore.KeyedJob j : earlier) {
            checkReplay(j, hash, key, caller);
        }
        List<Long> ids = earlier.stream().map(EnqueueStore.KeyedJob::id).toList(); // by id: item order
        return new EnqueuedBatch(jobs.findAll(ids), true, null);
    }

    private static void checkKey(String idempotencyKey) {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH
                || !idempotencyKey.chars().allMatch(c -> c >= 0x21 && c <= 0x7e))) {
            throw new InvalidRequestException("Idempotency-Key", "Idempotency-Key must be 1.."
                    + MAX_IDEMPOTENCY_KEY_LENGTH + " printable ASCII characters without spaces");
        }
    }

    private void refuse(Caller caller, String repo, String why) {
        node.stores().audit().record(AuditEvent.of(caller, node.context().clock().instant(), AuditEvent.ENQUEUE,
                "repo:" + repo, AuditEvent.Result.FORBIDDEN, why));
        throw new AccessDeniedException(why);
    }

    /** PostgreSQL keeps microseconds: truncated, so that the answer shows what is stored. */
    private OffsetDateTime now() {
        return OffsetDateTime.ofInstant(node.context().clock().instant().truncatedTo(ChronoUnit.MICROS),
                ZoneOffset.UTC);
    }

    private static void checkReplay(EnqueueStore.KeyedJob earlier, String requestHash, String key, Caller caller) {
        if (!java.util.Objects.equals(earlier.submittedBy(), caller.name())) {
            // another client's key: never hand its job out, never say which job it was
            throw new ConflictException("Idempotency-Key '" + key + "' was already used by another client", -1);
        }
        if (!requestHash.equals(earlier.requestHash())) {
            throw new ConflictException("Idempotency-Key '" + key + "' was used for job " + earlier.id()
                    + " with a different request", earlier.id());
        }
    }

    NewJob validate(EnqueueCommand cmd) {
        NewJob spec = validateFields(cmd);
        List<Long> deps = spec.dependsOn();
        if (!deps.isEmpty()) {
            Set<Long> existing = enqueues.existing(deps);
            List<Long> unknown = deps.stream().filter(d -> !existing.contains(d)).distinct().sorted().toList();
            if (!unknown.isEmpty()) {
                throw new InvalidRequestException("depends_on", "depends_on names unknown job(s) " + unknown
                        + " (a job can only depend on jobs that already exist, so no cycle can form)");
            }
        }
        return spec;
    }

    /** Every check of one job that needs no database. */
    NewJob validateFields(EnqueueCommand cmd) {
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
        return jobs.details(id).filter(d -> caller.mayTouch(d.job().repo())).map(d -> new JobDetails(d.job(),
                d.dependsOn(), d.runs(), d.job().status() == JobStatus.QUEUED ? holds(id).orElse(null) : null));
    }

    /** A job as just enqueued (no runs; its dependencies as given), with the gates that hold it now. */
    public JobDetails enqueued(Job job, List<Long> dependsOn) {
        return new JobDetails(job, dependsOn, List.of(), holds(job.id()).orElse(null));
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

    /** The cluster's nodes (live ones first, then those stopped within a day), each with its running jobs. */
    public List<dev.orchestrator.domain.node.NodeStatus> nodes() {
        return node.stores().nodes().status(node.leaseDuration());
    }

    /**
     * Jobs finished per minute over the last {@code minutes} minutes (the current one last), cluster-wide,
     * every minute present (zeros where none finished).
     */
    public List<dev.orchestrator.domain.job.FinishedMinute> finishedPerMinute(int minutes) {
        java.time.Instant first = node.context().clock().instant().truncatedTo(java.time.temporal.ChronoUnit.MINUTES)
                .minus(java.time.Duration.ofMinutes(minutes - 1L));
        Map<java.time.Instant, dev.orchestrator.domain.job.FinishedMinute> found = new java.util.HashMap<>();
        for (dev.orchestrator.domain.job.FinishedMinute m : node.stores().control().finishedPerMinute(first)) {
            found.put(m.minute(), m);
        }
        List<dev.orchestrator.domain.job.FinishedMinute> all = new java.util.ArrayList<>(minutes);
        for (int i = 0; i < minutes; i++) {
            java.time.Instant at = first.plus(java.time.Duration.ofMinutes(i));
            all.add(found.getOrDefault(at, new dev.orchestrator.domain.job.FinishedMinute(at, 0, 0, 0)));
        }
        return all;
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
