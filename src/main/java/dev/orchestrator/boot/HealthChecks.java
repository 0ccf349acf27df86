package dev.orchestrator.boot;

import dev.orchestrator.node.NodeLease;
import dev.orchestrator.node.OrchestratorNode;
import dev.orchestrator.node.WedgeAlarm;
import dev.orchestrator.run.Dispatcher;
import dev.orchestrator.store.SchemaMigrator;
import jakarta.ejb.EJBException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.stream.Collectors;
import java.util.logging.Logger;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The application's MicroProfile Health checks ({@code /health/ready}, {@code /health/live}; open,
 * like every probe). Each names what it saw. Readiness: the queue pool hands out a working
 * connection, the schema has no pending migration, the node is dispatching and not fenced.
 * Liveness: the dispatcher thread is alive (a fenced node is alive but not ready). Failure details
 * go to the server log; the probes show no host names or messages from the driver.
 */
@ApplicationScoped
public class HealthChecks {
    private static final Logger LOG = Logger.getLogger(HealthChecks.class.getName());
    static final int VALID_TIMEOUT_SECONDS = 2;

    @Inject
    Bootstrap bootstrap;

    @Produces
    @Readiness
    HealthCheck database() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("orchestrator-database");
            try (Connection c = bootstrap.queueDataSource().getConnection()) {
                boolean valid = c.isValid(VALID_TIMEOUT_SECONDS);
                return r.status(valid).withData("queue_pool", valid ? "connection valid"
                        : "connection not valid within " + VALID_TIMEOUT_SECONDS + " s").build();
            } catch (SQLException e) {
                // once per probe while the database is away: the message, the stack trace only at FINE
                LOG.log(Level.WARNING, "readiness: no connection from the queue pool: {0}", e.getMessage());
                LOG.log(Level.FINE, "readiness: no connection from the queue pool", e);
                return r.down().withData("queue_pool", "no connection (SQLState " + e.getSQLState()
                        + "; see the server log)").build();
            } catch (RuntimeException e) {
                return failed(r, "queue_pool", e);
            }
        };
    }

    @Produces
    @Readiness
    HealthCheck schema() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("orchestrator-schema");
            try {
                SchemaMigrator.State s = bootstrap.schema();
                return r.status(s.currentVersion() != null && s.pending() == 0)
                        .withData("version", String.valueOf(s.currentVersion()))
                        .withData("pending_migrations", s.pending()).build();
            } catch (RuntimeException e) {
                return failed(r, "schema", e);
            }
        };
    }

    @Produces
    @Readiness
    HealthCheck node() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("orchestrator-node");
            try {
                OrchestratorNode n = bootstrap.node();
                NodeLease.Status lease = n.lease().status();
                boolean dispatching = n.dispatcher().isRunning();
                boolean wedged = false;
                if (bootstrap.config().wedgeAlarmReadiness()) { // ORCH_WEDGE_ALARM_READINESS=true only
                    WedgeAlarm.State w = n.wedgeState();
                    wedged = w.wedged();
                    r.withData("wedged", wedged).withData("wedge_alarm", w.reason());
                }
                return r.status(dispatching && !lease.fenced() && !wedged)
                        .withData("node", lease.id())
                        .withData("dispatching", dispatching)
                        .withData("fenced", lease.fenced())
                        .withData("last_heartbeat_at", lease.lastHeartbeatAt().toString()).build();
            } catch (RuntimeException e) {
                return failed(r, "node", e);
            }
        };
    }

    @Produces
    @Liveness
    HealthCheck dispatcher() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("orchestrator-dispatcher");
            try {
                Dispatcher d = bootstrap.node().dispatcher();
                boolean alive = d.isRunning();
                return r.status(alive).withData("dispatcher_thread", alive ? "alive" : "not running")
                        .withData("paused", d.isPaused()).withData("pass_errors", d.errors()).build();
            } catch (RuntimeException e) {
                return failed(r, "dispatcher_thread", e);
            }
        };
    }

    /**
     * The wedge alarm ({@link WedgeAlarm}), served at {@code /wedge} by
     * {@link WedgeHealthServlet}; part of readiness (the node check) only with
     * {@code ORCH_WEDGE_ALARM_READINESS=true}. Names the overdue jobs and the runs holding the slots.
     */
    HealthCheck wedgeCheck() {
        return () -> {
            HealthCheckResponseBuilder r = HealthCheckResponse.named("orchestrator-wedge");
            try {
                WedgeAlarm.State w = bootstrap.node().wedgeState();
                r.status(!w.wedged()).withData("reason", w.reason())
                        .withData("threshold_seconds", w.threshold().toSeconds())
                        .withData("oldest_claimable_age_seconds", w.oldestClaimableAge().toSeconds())
                        .withData("slots", w.running() + " of " + w.maxConcurrency() + " taken, "
                                + w.deadSlots() + " by runs not alive");
                if (!w.overdue().isEmpty()) {
                    r.withData("overdue_jobs", w.overdue().stream()
                            .map(j -> "job " + j.id() + " (" + j.agent() + ", repo " + j.repo() + ", waiting "
                                    + j.age().toSeconds() + " s)").collect(Collectors.joining("; ")));
                }
                if (!w.slots().isEmpty()) {
                    r.withData("slot_holders", w.slots().stream()
                            .map(s -> "job " + s.jobId() + " run " + s.runId() + " on " + s.node() + " pid " + s.pid()
                                    + ": " + s.judgedBy()).collect(Collectors.joining("; ")));
                }
                return r.build();
            } catch (RuntimeException e) {
                return failed(r, "wedge", e);
            }
        };
    }

    private static HealthCheckResponse failed(HealthCheckResponseBuilder r, String what, RuntimeException e) {
        if (e instanceof IllegalStateException || e instanceof EJBException) {
            // probes during start-up and undeploy: the start-up bean is not (or no longer) there
            LOG.log(Level.FINE, "health check " + what + ": not started", e);
            return r.down().withData(what, "Orchestrator has not started").build();
        }
        LOG.log(Level.WARNING, "health check {0} failed: {1}", new Object[] {what, e.getMessage()});
        LOG.log(Level.FINE, "health check " + what + " failed", e);
        return r.down().withData(what, "check failed (see the server log)").build();
    }
}
