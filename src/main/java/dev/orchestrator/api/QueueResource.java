package dev.orchestrator.api;

import dev.orchestrator.service.JobControl;
import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** The queue at a glance, and pausing or resuming claims (everything, or one repo with ?repo=). */
@Path("queue")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class QueueResource {
    @Inject
    QueueService queue;

    @Inject
    JobControl control;

    @Inject
    Callers callers;

    @GET
    @RolesAllowed(Role.READ_NAME)
    public QueueDto get() {
        return QueueDto.of(queue.overview(callers.current()));
    }

    /** Stops claiming (durably) until resumed; running jobs go on. */
    @POST
    @RolesAllowed(Role.OPERATE_NAME)
    @Path("pause")
    public QueueDto.Paused pause(@QueryParam("repo") String repo) {
        control.pause(Parameters.repo(repo), callers.current());
        return QueueDto.Paused.of(control.pauses());
    }

    @POST
    @RolesAllowed(Role.OPERATE_NAME)
    @Path("resume")
    public QueueDto.Paused resume(@QueryParam("repo") String repo) {
        control.resume(Parameters.repo(repo), callers.current());
        return QueueDto.Paused.of(control.pauses());
    }

}
