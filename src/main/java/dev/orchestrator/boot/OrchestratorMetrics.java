package dev.orchestrator.boot;

import dev.orchestrator.api.HttpErrors;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.node.NodeLease;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.reaper.ReaperStatus;
import dev.orchestrator.run.QueueEvent;
import dev.orchestrator.run.QueueEvents;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;

/**
 * The queue's metrics at {@code /metrics} (Prometheus text; application scope). Registered once, at
 * start-up, from the node's {@link QueueEvents} (counters and histograms move as events happen) and
 * from gauges read on a scrape.
 * <p>
 * Jobs by status never count the history: the gauges read the counter rows that the triggers on
 * {@code jobs} keep (every status, cluster-wide; cached for {@link #SNAPSHOT_TTL} so that several
 * scrapers cost one query), and finishes are also counters, which {@code rate()} and
 * {@code increase()} read as Prometheus expects. Durations go into histograms in milliseconds
 * whose names carry the unit (never timers: the timer quantiles of this Payara release are in
 * nanoseconds while labelled seconds; see {@link #DISPATCH_LATENCY} for histograms with a unit).
 */
@ApplicationScoped
public class OrchestratorMetrics {
    private static final Logger LOG = Logger.getLogger(OrchestratorMetrics.class.getName());
    static final Duration SNAPSHOT_TTL = Duration.ofSeconds(2);
    static final String UNKNOWN_AGENT = "unknown";

    @Inject
    MetricRegistry registry;

    @Inject
    Bootstrap bootstrap;

    @Inject
    HttpErrors httpErrors;

    @Inject
    Clock clock;

    private QueueEvents events;
    private QueueEvents.Listener listener;
    private IntConsumer errorListener;

    /** Counts by status and running by agent, as of {@code at}. */
    private record Snapshot(Instant at, Map<JobStatus, Long> counts, Map<String, Long> runningByAgent) {
    }

    private volatile Snapshot snapshot;
    private volatile Cached<dev.orchestrator.node.WedgeAlarm.State> wedge;
    private volatile Cached<Map<dev.orchestrator.domain.job.Gate, Long>> gates;

    /** A value computed at {@code at}: one scrape evaluates several gauges from it. */
    private record Cached<T>(Instant at, T value) {
    }

    private dev.orchestrator.node.WedgeAlarm.State wedge(OrchestratorNode node) {
        Cached<dev.orchestrator.node.WedgeAlarm.State> c = wedge;
        Instant now = clock.instant();
        if (c == null || Duration.between(c.at(), now).compareTo(Duration.ofSeconds(2)) > 0) {
            c = new Cached<>(now, node.wedgeState());
            wedge = c;
        }
        return c.value();
    }

    private Map<dev.orchestrator.domain.job.Gate, Long> gates(OrchestratorNode node) {
        Cached<Map<dev.orchestrator.domain.job.Gate, Long>> c = gates;
        Instant now = clock.instant();
        if (c == null || Duration.between(c.at(), now).compareTo(Duration.ofSeconds(2)) > 0) {
            c = new Cached<>(now, node.stores().claims().gateCounts(now, node.policy()));
            gates = c;
        }
        return c.value();
    }

    void start(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        OrchestratorNode node;
        try {
            node = bootstrap.node();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "metrics: the node has not started; no queue metrics", e);
            return;
        }
        register(node);
    }

    private void register(OrchestratorNode node) {
        for (JobStatus s : JobStatus.values()) {
            gauge("orchestrator.jobs", "Jobs by status now, cluster-wide (finished ones until retention deletes "
                    + "them; finishes as they happen: orchestrator_finishes_total)",
                    () -> snapshot(node).counts().getOrDefault(s, 0L),
                    new Tag("status", s.name().toLowerCase(Locale.ROOT)));
        }
        for (String agent : node.agents().names()) {
            gauge("orchestrator.running", "Running jobs of this agent now, cluster-wide",
                    () -> snapshot(node).runningByAgent().getOrDefault(agent, 0L), new Tag("agent", agent));
            // present from the start, so that rate() and absent() work before the first event
            claims(agent);
            for (QueueEvent outcome : FINISH_OUTCOMES) {
                finishes(agent, outcome);
            }
        }
        gauge("orchestrator.capacity", "Most runs at once, cluster-wide (ORCH_MAX_CONCURRENCY)",
                () -> (long) node.policy().maxConcurrency());
        gauge("orchestrator.wedge", "1 while the wedge alarm is DOWN (a claimable job waited longer than "
                + "ORCH_WEDGE_ALARM_SECONDS while a slot was free or every slot was held by a run that is not alive; "
                + "GET /wedge names them), else 0", () -> wedge(node).wedged() ? 1L : 0L);
        gaugeDouble("orchestrator.oldest.claimable.seconds", "Seconds the longest-waiting claimable job (no gate "
                + "holds it) has waited; 0 if none", () -> seconds(wedge(node).oldestClaimableAge()));
        for (dev.orchestrator.domain.job.Gate g : dev.orchestrator.domain.job.Gate.values()) {
            gauge("orchestrator.waiting", "Queued jobs by the gate that holds them now (nothing: claimable), "
                    + "cluster-wide, by the claim's own predicates", () -> gates(node).getOrDefault(g, 0L),
                    new Tag("gate", g.name().toLowerCase(Locale.ROOT)));
        }

        gauge("orchestrator.sse.streams", "Server-Sent Event streams open on this node now, log streams (GET "
                + "/api/runs/{id}/log/stream) and event streams (GET /api/events) together; at most "
                + "ORCH_MAX_SSE_STREAMS", () -> (long) bootstrap.sseSlots().open());
        gauge("orchestrator.sse.event_streams", "Event streams (GET /api/events) open on this node now",
                () -> (long) bootstrap.eventStreams().openStreams());
        gauge("orchestrator.sse.dropped", "Streams this node dropped since it started because their client "
                + "read nothing for ORCH_SSE_SLOW_CLIENT_SECONDS", () -> bootstrap.sseSlots().dropped());

        gauge("orchestrator.reaper.ticks", "Reaper passes of this node since it started",
                () -> node.reaperStatus().ticksTotal());
        gauge("orchestrator.reaper.errors", "Rows or steps the reaper of this node failed on since it started",
                () -> node.reaperStatus().errorsTotal());
        gaugeDouble("orchestrator.reaper.last.tick.age.seconds", "Seconds since the last reaper pass of this node "
                + "began (-1: none yet)", () -> {
                    ReaperStatus r = node.reaperStatus();
                    return r.lastTickAt() == null ? -1.0 : seconds(Duration.between(r.lastTickAt(), clock.instant()));
                });
        gaugeDouble("orchestrator.reaper.last.tick.duration.seconds", "How long the last reaper pass took",
                () -> {
                    Long ms = node.reaperStatus().lastTickMs();
                    return ms == null ? 0.0 : ms / 1000.0;
                });

        gauge("orchestrator.node.fenced", "1 while this node has fenced itself (its lease is lost: it claims "
                + "nothing and killed its runs), else 0", () -> node.lease().status().fenced() ? 1L : 0L);
        gauge("orchestrator.node.fenced.count", "How often this node fenced itself since it started",
                () -> node.lease().status().fencedTotal());
        gaugeDouble("orchestrator.node.heartbeat.age.seconds", "Seconds since this node's last successful "
                + "heartbeat (-1: none yet)", () -> {
                    NodeLease.Status l = node.lease().status();
                    return l.lastHeartbeatAt() == null ? -1.0
                            : seconds(Duration.between(l.lastHeartbeatAt(), clock.instant()));
                });

        gauge("orchestrator.notify.connected", "1 while this node's wake-up listener holds its LISTEN connection, "
                + "0 while it reconnects or ORCH_NOTIFY_ENABLED=false (other nodes' work then waits for the poll)",
                () -> node.wakeupStatus().connected() ? 1L : 0L);
        gauge("orchestrator.notify.reconnects", "Times this node's wake-up listener re-established its connection "
                + "after losing it, since the node started", () -> node.wakeupStatus().reconnects());
        gauge("orchestrator.notify.received", "Wake-up notifications this node received (its own included) since it "
                + "started", () -> node.wakeupStatus().notifications());
        gauge("orchestrator.notify.sent", "Wake-up notifications this node sent since it started",
                () -> node.wakeupStatus().sent());
        gauge("orchestrator.notify.send.failures", "Wake-up notifications this node could not send since it "
                + "started (other nodes then find the work at their poll)", () -> node.wakeupStatus().sendFailures());

        for (Map.Entry<QueueEvent, String[]> e : REAPER_ACTIONS.entrySet()) {
            reaperActions(e.getKey());
        }

        listener = new QueueEvents.Listener() {
            @Override
            public void recorded(QueueEvent event, long n) {
                if (REAPER_ACTIONS.containsKey(event)) {
                    reaperActions(event).inc(n);
                }
            }

            @Override
            public void claimed(String agent, Duration waited) {
                String a = agent == null ? UNKNOWN_AGENT : agent;
                claims(a).inc();
                if (waited != null) {
                    registry.histogram(DISPATCH_LATENCY, new Tag("agent", a)).update(Math.max(0, waited.toMillis()));
                }
            }

            @Override
            public void finished(String agent, QueueEvent outcome, Duration ran) {
                String a = agent == null ? UNKNOWN_AGENT : agent;
                finishes(a, outcome).inc();
                if (outcome == QueueEvent.TRANSIENT_REQUEUED) {
                    failures(a, "transient").inc();
                } else if (outcome == QueueEvent.FAILED) {
                    failures(a, "permanent").inc();
                }
                if (ran != null) {
                    registry.histogram(RUN_DURATION, new Tag("agent", a)).update(Math.max(0, ran.toMillis()));
                }
            }
        };
        events = node.context().events();
        events.listen(listener);
        errorListener = status -> registry.counter(HTTP_ERRORS, new Tag("status", Integer.toString(status))).inc();
        httpErrors.listen(errorListener);
        LOG.info("metrics registered at /metrics");
    }

    @PreDestroy
    void stop() {
        if (events != null) {
            events.unlisten(listener);
        }
        if (errorListener != null) {
            httpErrors.unlisten(errorListener);
        }
    }

    /** The outcomes a run's end is counted under (label {@code outcome}). */
    static final QueueEvent[] FINISH_OUTCOMES = {QueueEvent.SUCCEEDED, QueueEvent.TRANSIENT_REQUEUED,
            QueueEvent.RETRIED, QueueEvent.FAILED, QueueEvent.CANCELLED, QueueEvent.ABANDONED};

    /** Reaper and recovery actions by step (the reaper's switch names) and reason. */
    static final Map<QueueEvent, String[]> REAPER_ACTIONS = Map.of(
            QueueEvent.IMPOSSIBLE_QUEUED_HEALED, new String[] {"sanitize", "impossible_queued"},
            QueueEvent.REAPED_DEAD_PROCESS, new String[] {"liveness", "dead_process"},
            QueueEvent.REAPED_PID_REUSED, new String[] {"liveness", "pid_reused"},
            QueueEvent.REAPED_SPAWN_GRACE_EXPIRED, new String[] {"liveness", "spawn_grace_expired"},
            QueueEvent.FINISHED_FROM_EXIT_FILE, new String[] {"liveness", "finished_from_exit_file"},
            QueueEvent.REAPED_LEASE_EXPIRED, new String[] {"lease_reclaim", "lease_expired"},
            QueueEvent.ORPHANS_KILLED, new String[] {"lease_reclaim", "orphan_killed"},
            QueueEvent.REAPED_TIMEOUT, new String[] {"timeout_backstop", "timeout"},
            QueueEvent.RECOVERED_AT_STARTUP, new String[] {"startup_recovery", "recovered"});

    /*
     * Histograms in milliseconds, with the unit in the name and no unit in the metadata: a histogram's
     * values are whole numbers (a latency of 3 ms would be 0 s), and with unit "milliseconds" this
     * Payara release renames the series to _seconds and scales only _mean and _max, leaving the
     * quantiles and _sum in milliseconds (seen at /metrics: a 1357 ms run as _sum 1357.0, _max 1.357).
     */
    static final Metadata DISPATCH_LATENCY = Metadata.builder().withName("orchestrator.dispatch.latency.milliseconds")
            .withDescription("Milliseconds from a job becoming claimable (enqueue, requeue, end of back-off) to "
                    + "its claim, by agent").withUnit(MetricUnits.NONE).build();
    static final Metadata RUN_DURATION = Metadata.builder().withName("orchestrator.run.duration.milliseconds")
            .withDescription("Milliseconds from a run's claim to the end of its attempt, by agent")
            .withUnit(MetricUnits.NONE).build();
    static final Metadata HTTP_ERRORS = Metadata.builder().withName("orchestrator.http.errors")
            .withDescription("Error answers (4xx, 5xx) by status, 401s of the token check included").build();

    private org.eclipse.microprofile.metrics.Counter claims(String agent) {
        return registry.counter(Metadata.builder().withName("orchestrator.claims")
                .withDescription("Jobs claimed by this node, by agent").build(), new Tag("agent", agent));
    }

    private org.eclipse.microprofile.metrics.Counter finishes(String agent, QueueEvent outcome) {
        return registry.counter(Metadata.builder().withName("orchestrator.finishes")
                        .withDescription("Ends of runs on this node by agent and outcome").build(),
                new Tag("agent", agent), new Tag("outcome", outcome.key()));
    }

    private org.eclipse.microprofile.metrics.Counter failures(String agent, String kind) {
        return registry.counter(Metadata.builder().withName("orchestrator.failures")
                        .withDescription("Transient failures (requeued with back-off) and permanent ones (the "
                                + "job failed for good) on this node").build(),
                new Tag("agent", agent), new Tag("kind", kind));
    }

    private org.eclipse.microprofile.metrics.Counter reaperActions(QueueEvent event) {
        String[] stepReason = REAPER_ACTIONS.get(event);
        return registry.counter(Metadata.builder().withName("orchestrator.reaper.actions")
                        .withDescription("What the reaper (and start-up recovery) of this node did, by step and reason")
                        .build(),
                new Tag("step", stepReason[0]), new Tag("reason", stepReason[1]));
    }

    private void gauge(String name, String description, Supplier<Long> value, Tag... tags) {
        registry.gauge(Metadata.builder().withName(name).withDescription(description).build(), value, tags);
    }

    private void gaugeDouble(String name, String description, Supplier<Double> value) {
        registry.gauge(Metadata.builder().withName(name).withDescription(description).build(), value);
    }

    /** The counts by status and of running jobs by agent, read at most once per {@link #SNAPSHOT_TTL}; stale rather than failing. */
    private Snapshot snapshot(OrchestratorNode node) {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        if (s != null && Duration.between(s.at(), now).compareTo(SNAPSHOT_TTL) < 0) {
            return s;
        }
        synchronized (this) {
            s = snapshot;
            if (s != null && Duration.between(s.at(), now).compareTo(SNAPSHOT_TTL) < 0) {
                return s;
            }
            try {
                s = new Snapshot(now, node.stores().control().statusCounts(), node.stores().control().runningByAgent());
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "metrics: could not count the queue now", e);
                if (s == null) {
                    s = new Snapshot(now, Map.of(), Map.of());
                } else {
                    s = new Snapshot(now, s.counts(), s.runningByAgent());
                }
            }
            snapshot = s;
            return s;
        }
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }
}
