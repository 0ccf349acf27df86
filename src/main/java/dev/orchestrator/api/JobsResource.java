package dev.orchestrator.api;

import dev.orchestrator.service.JobControl;
import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.List;

/** Jobs: enqueue, list, look up, cancel, retry. */
@Path("jobs")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {
    @Inject
    QueueService queue;

    @Inject
    JobControl control;

    @Inject
    Callers callers;

    @Context
    UriInfo uri;

    /** {@code Idempotency-Key}: the same key and request return the first job (200), another request 409. */
    @POST
    @RolesAllowed(Role.SUBMIT_NAME)
    @Consumes(MediaType.APPLICATION_JSON)
    public Response enqueue(@HeaderParam("Idempotency-Key") String idempotencyKey, byte[] body) {
        QueueService.Enqueued e = queue.enqueue(EnqueueRequestParser.parse(body), idempotencyKey, callers.current());
        JobDto dto = details(e.job().id());
        if (e.replayed()) {
            return Response.ok(dto).header("Idempotent-Replayed", "true").build();
        }
        return Response.created(uri.getAbsolutePathBuilder().path(Long.toString(e.job().id())).build())
                .entity(dto)
                .build();
    }

    /** Newest first; {@code cursor} is the {@code next_cursor} of the previous page. */
    @GET
    @RolesAllowed(Role.READ_NAME)
    public PageDto list(@QueryParam("status") String status, @QueryParam("repo") String repo,
                        @QueryParam("agent") String agent, @QueryParam("limit") @DefaultValue("50") String limit,
                        @QueryParam("cursor") String cursor) {
        JobStatus s = null;
        if (status != null) {
            try {
                s = JobStatus.fromDb(status);
            } catch (IllegalArgumentException e) {
                throw new ProblemException(Response.Status.BAD_REQUEST, "status must be one of queued, running, "
                        + "done, failed, cancelled", "status");
            }
        }
        QueueService.Page page = queue.list(new JobRepository.ListFilter(s, repo, agent),
                cursor == null ? null : Parameters.positive(cursor, "cursor"), (int) Math.min(Parameters.positive(limit, "limit"), Integer.MAX_VALUE), callers.current()); // too large: the service says so
        return new PageDto(page.jobs().stream().map(JobDto::of).toList(), page.nextCursor());
    }

    @GET
    @RolesAllowed(Role.READ_NAME)
    @Path("{id}")
    public JobDto get(@PathParam("id") String id) {
        return details(Parameters.jobId(id));
    }

    /**
     * Queued: cancelled at once (200). Running: the process group gets TERM, then KILL after the
     * grace period, and the job ends cancelled (202 while that happens). Finished: 409.
     */
    @POST
    @RolesAllowed(Role.OPERATE_NAME)
    @Path("{id}/cancel")
    public Response cancel(@PathParam("id") String id) {
        long jobId = Parameters.jobId(id);
        JobControl.Answer a = control.cancel(jobId, callers.current());
        return answer(jobId, a, "cancel", Response.Status.ACCEPTED);
    }

    /** Failed or cancelled: back to queued with attempts reset (200). Otherwise 409. */
    @POST
    @RolesAllowed(Role.OPERATE_NAME)
    @Path("{id}/retry")
    public Response retry(@PathParam("id") String id) {
        long jobId = Parameters.jobId(id);
        return answer(jobId, control.retry(jobId, callers.current()), "retry", Response.Status.OK);
    }

    private Response answer(long jobId, JobControl.Answer a, String action, Response.Status inProgress) {
        return switch (a.result()) {
            case DONE -> Response.ok(details(jobId)).build();
            case IN_PROGRESS -> Response.status(inProgress).entity(details(jobId)).build();
            case NOT_FOUND -> throw notFound(jobId);
            case CONFLICT -> throw new ProblemException(Response.Status.CONFLICT, "cannot " + action + " job " + jobId
                    + ": it is " + (a.status() == null ? "gone" : a.status().db()), null);
        };
    }

    private JobDto details(long jobId) {
        QueueService.JobDetails d = queue.job(jobId, callers.current()).orElseThrow(() -> notFound(jobId));
        return JobDto.of(d.job(), queue.dependenciesOf(jobId), d.runs(), d.waitingFor());
    }

    static ProblemException notFound(long jobId) {
        return new ProblemException(Response.Status.NOT_FOUND, "no job with id " + jobId, null);
    }



    /** One page of jobs. */
    public record PageDto(List<JobDto> jobs, Long nextCursor) {
    }
}
