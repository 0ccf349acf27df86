package dev.orchestrator.interfaces.rest;

import dev.orchestrator.application.QueueService;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.infrastructure.container.Bootstrap;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;

/** Jobs: enqueue and look up. */
@Path("jobs")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {
    @Inject
    Bootstrap orchestrator;

    @Context
    UriInfo uri;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response enqueue(String body) {
        Job job = orchestrator.queue().enqueue(EnqueueRequestParser.parse(body));
        return Response.created(uri.getAbsolutePathBuilder().path(Long.toString(job.id())).build())
                .entity(JobDto.of(job, List.of()))
                .build();
    }

    @GET
    @Path("{id}")
    public JobDto get(@PathParam("id") String id) {
        long jobId = parseId(id);
        QueueService.JobDetails d = orchestrator.queue().job(jobId)
                .orElseThrow(() -> new ProblemException(Response.Status.NOT_FOUND, "no job with id " + jobId, null));
        return JobDto.of(d.job(), d.runs());
    }

    private static long parseId(String id) {
        try {
            long v = Long.parseLong(id);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ProblemException(Response.Status.NOT_FOUND, "no job with id '" + id + "' (ids are positive "
                + "whole numbers)", null);
    }
}
