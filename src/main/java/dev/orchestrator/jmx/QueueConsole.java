package dev.orchestrator.jmx;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.RunningJob;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.service.AccessDeniedException;
import dev.orchestrator.service.JobControl;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link QueueMXBean} over {@link JobControl} and the node's guarded statements. Errors reach the
 * JMX client as JDK exceptions with a clear message (the client has none of the application's
 * classes): {@link IllegalArgumentException} for a bad repo or an unknown job,
 * {@link IllegalStateException} when the job's status does not allow the action.
 */
public final class QueueConsole implements QueueMXBean {
    private static final Logger LOG = Logger.getLogger(QueueConsole.class.getName());

    private final OrchestratorNode node;
    private final JobControl control;
    private final InContainer container;

    public QueueConsole(OrchestratorNode node, JobControl control, InContainer container) {
        this.node = node;
        this.control = control;
        this.container = container;
    }

    @Override
    public Map<String, Long> getJobCounts() {
        return JmxErrors.clean("reading JobCounts", () -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            node.stores().control().statusCounts().forEach((s, n) -> counts.put(s.db(), n));
            return counts;
        });
    }

    @Override
    public long getQueuedCount() {
        return JmxErrors.clean("reading QueuedCount",
                () -> node.stores().control().statusCounts().getOrDefault(JobStatus.QUEUED, 0L));
    }

    @Override
    public long getRunningCount() {
        return JmxErrors.clean("reading RunningCount",
                () -> node.stores().control().statusCounts().getOrDefault(JobStatus.RUNNING, 0L));
    }

    @Override
    public List<String> getRunningJobs() {
        return JmxErrors.clean("reading RunningJobs",
                () -> node.stores().finishes().runningJobs().stream().map(QueueConsole::line).toList());
    }

    static String line(RunningJob j) {
        return "job " + j.id() + " agent=" + j.agent() + " node=" + j.claimedBy() + " claimed_at=" + j.claimedAt()
                + (j.cancelRequested() ? " cancel_requested" : "");
    }

    @Override
    public int getCapacity() {
        return node.policy().maxConcurrency();
    }

    @Override
    public List<String> getPausedScopes() {
        return JmxErrors.clean("reading PausedScopes", control::pauses);
    }

    @Override
    public boolean isPausedEverywhere() {
        return JmxErrors.clean("reading PausedEverywhere", () -> control.pauses().contains("*"));
    }

    @Override
    public boolean isWedged() {
        return JmxErrors.clean("reading Wedged", () -> node.wedgeState().wedged());
    }

    @Override
    public long getOldestClaimableAgeSeconds() {
        return JmxErrors.clean("reading OldestClaimableAgeSeconds",
                () -> node.wedgeState().oldestClaimableAge().toSeconds());
    }

    @Override
    public List<String> explain(long jobId) {
        return JmxErrors.clean("explain", () -> {
            List<dev.orchestrator.domain.job.Hold> holds = node.stores().claims()
                    .holds(jobId, node.context().clock().instant(), node.policy())
                    .orElse(null);
            if (holds == null) {
                Optional<JobStatus> status = node.stores().control().statusOf(jobId);
                if (status.isEmpty()) {
                    throw new IllegalArgumentException("no job with id " + jobId);
                }
                return List.of("job " + jobId + " is " + status.get().db() + ", not queued");
            }
            return holds.stream().map(QueueConsole::describe).toList();
        });
    }

    static String describe(dev.orchestrator.domain.job.Hold h) {
        StringBuilder b = new StringBuilder(h.gate().name().toLowerCase(Locale.ROOT));
        if (h.jobs() != null && !h.jobs().isEmpty()) {
            b.append(" jobs=").append(h.jobs());
        }
        if (h.agent() != null) {
            b.append(" agent=").append(h.agent());
        }
        if (h.running() != null) {
            b.append(" running=").append(h.running());
        }
        if (h.limit() != null) {
            b.append(" limit=").append(h.limit());
        }
        if (h.scopes() != null && !h.scopes().isEmpty()) {
            b.append(" scopes=").append(h.scopes());
        }
        if (h.until() != null) {
            b.append(" until=").append(h.until());
        }
        return b.toString();
    }

    @Override
    public void pause(String repo) {
        JmxErrors.clean("pause", () -> {
            pauseOrResume(true, repo);
            return null;
        });
    }

    @Override
    public void resume(String repo) {
        JmxErrors.clean("resume", () -> {
            pauseOrResume(false, repo);
            return null;
        });
    }

    private void pauseOrResume(boolean pause, String repo) {
        Optional<RepoName> scope = repo(repo);
        var caller = JmxCallers.current();
        container.call(() -> {
            guarded(() -> {
                if (pause) {
                    control.pause(scope, caller);
                } else {
                    control.resume(scope, caller);
                }
            });
            return null;
        });
        LOG.log(Level.INFO, "JMX: {0} {1} {2}", new Object[] {caller.name(), pause ? "paused" : "resumed",
                scope.map(r -> "repo " + r.value()).orElse("everything")});
    }

    @Override
    public String cancel(long jobId) {
        return JmxErrors.clean("cancel", () -> {
            var caller = JmxCallers.current();
            return answer("cancel", jobId, container.call(() -> control.cancel(jobId, caller)));
        });
    }

    @Override
    public String retry(long jobId) {
        return JmxErrors.clean("retry", () -> {
            var caller = JmxCallers.current();
            return answer("retry", jobId, container.call(() -> control.retry(jobId, caller)));
        });
    }

    /** An empty or blank repo is everything; anything else must be a valid repo name. */
    static Optional<RepoName> repo(String repo) {
        if (repo == null || repo.isBlank()) {
            return Optional.empty();
        }
        String problem = RepoName.problem(repo);
        if (problem != null) {
            throw new IllegalArgumentException("repo '" + repo + "': " + problem + " (empty for everything)");
        }
        return Optional.of(new RepoName(repo));
    }

    private static void guarded(Runnable action) {
        try {
            action.run();
        } catch (AccessDeniedException e) {
            throw new SecurityException(e.getMessage()); // a JDK type: the client lacks the application's classes
        }
    }

    static String answer(String action, long jobId, JobControl.Answer a) {
        String status = a.status() == null ? "" : a.status().db();
        return switch (a.result()) {
            case DONE -> action + " of job " + jobId + ": done; the job is " + status;
            case IN_PROGRESS -> action + " of job " + jobId + ": in progress; the job's process group is being "
                    + "stopped and it will end cancelled";
            case NOT_FOUND -> throw new IllegalArgumentException("job " + jobId + " does not exist");
            case CONFLICT -> throw new IllegalStateException("job " + jobId + " is " + status + ": cannot "
                    + action.toLowerCase(Locale.ROOT) + " it");
        };
    }
}
