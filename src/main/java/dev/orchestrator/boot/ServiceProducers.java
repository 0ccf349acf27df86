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
 */
@ApplicationScoped
public class ServiceProducers {
    @Inject
    Bootstrap bootstrap;

    @Produces
    QueueService queue() {
        return bootstrap.queue();
    }

    @Produces
    JobControl control() {
        return bootstrap.control();
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
        return bootstrap.tokens();
    }

    @Produces
    AuditTrail audit() {
        return bootstrap.audit();
    }

    @Produces
    RequestLimits requestLimits() {
        return new RequestLimits(bootstrap.config().maxRequestBytes());
    }
}
