package dev.orchestrator.boot;

import dev.orchestrator.api.RequestLimits;
import dev.orchestrator.config.OrchestratorConfig;
import dev.orchestrator.node.NodeLease;
import dev.orchestrator.reaper.Reaper;
import dev.orchestrator.retention.RetentionPruner;
import dev.orchestrator.domain.access.TokenRegistry;
import dev.orchestrator.service.AuditTrail;
import dev.orchestrator.service.JobControl;
import dev.orchestrator.service.QueueService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

/**
 * Hands the parts that {@link Bootstrap} wired to CDI, so that resources and timers receive their
 * services by {@code @Inject}. Dependent scope: each is the one instance the node was built with.
 * The services every request injects are fetched from the {@code Bootstrap} EJB once and kept:
 * each call through its container proxy built exceptions (seen in thread dumps under load), and
 * the answer never changes once the node has started.
 */
@ApplicationScoped
public class ServiceProducers {
    @Inject
    Bootstrap bootstrap;

    private volatile QueueService queue;
    private volatile JobControl control;
    private volatile TokenRegistry tokens;
    private volatile AuditTrail audit;
    private volatile RequestLimits limits;

    @Produces
    QueueService queue() {
        QueueService q = queue;
        if (q == null) {
            q = bootstrap.queue(); // throws while not started: nothing is kept then
            queue = q;
        }
        return q;
    }

    @Produces
    dev.orchestrator.api.LogStreams logStreams() {
        return bootstrap.logStreams();
    }

    @Produces
    dev.orchestrator.api.EventStreams eventStreams() {
        return bootstrap.eventStreams();
    }

    @Produces
    JobControl control() {
        JobControl c = control;
        if (c == null) {
            c = bootstrap.control();
            control = c;
        }
        return c;
    }

    @Produces
    Reaper reaper() {
        return bootstrap.node().reaper();
    }

    @Produces
    NodeLease lease() {
        return bootstrap.node().lease();
    }

    @Produces
    RetentionPruner retention() {
        return bootstrap.node().retention();
    }

    @Produces
    OrchestratorConfig config() {
        return bootstrap.config();
    }

    @Produces
    TokenRegistry tokens() {
        TokenRegistry t = tokens;
        if (t == null) {
            t = bootstrap.tokens();
            tokens = t;
        }
        return t;
    }

    @Produces
    AuditTrail audit() {
        AuditTrail a = audit;
        if (a == null) {
            a = bootstrap.audit();
            audit = a;
        }
        return a;
    }

    @Produces
    RequestLimits requestLimits() {
        RequestLimits l = limits;
        if (l == null) {
            l = new RequestLimits(bootstrap.config().maxRequestBytes());
            limits = l;
        }
        return l;
    }
}
