package dev.orchestrator.interfaces.rest;

import dev.orchestrator.infrastructure.container.Bootstrap;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The queue at a glance. */
@Path("queue")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class QueueResource {
    @Inject
    Bootstrap orchestrator;

    @GET
    public QueueDto get() {
        return QueueDto.of(orchestrator.queue().overview());
    }
}
