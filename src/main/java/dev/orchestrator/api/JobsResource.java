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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Jobs: enqueue, list, look up, cancel, retry. */
@Tag(name = "jobs", description = "Enqueue, list, look up, cancel and retry jobs")
@SecurityRequirement(name = "bearer")
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
    @Operation(operationId = "enqueueJob", summary = "Enqueue a job",
            description = "Creates a queued job for a configured agent and repo (role submit). With an "
                    + "Idempotency-Key, the same key and request answer the first job (200, Idempotent-Replayed: "
                    + "true) and another request with that key 409. depends_on names jobs that already exist; the "
                    + "job is claimed once all of them are done and cancelled if one fails or is cancelled.")
    @RequestBody(required = true, description = "The job: agent and repo required; payload, priority (-1000..1000), "
            + "max_attempts (1..100), depends_on (at most 100 job ids) optional. Unknown fields are refused.",
            content = @Content(mediaType = "application/json", schema = @Schema(type = SchemaType.OBJECT),
                    examples = @ExampleObject(name = "enqueue", value = ApiExamples.ENQUEUE)))
    @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, required = false,
            description = "1..200 printable ASCII characters without spaces; makes the enqueue safe to repeat",
            example = "6f1c2d3e-build-demo-1")
    @APIResponse(responseCode = "201", description = "A new job; Location: /api/jobs/{id}",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "201", value = ApiExamples.JOB)))
    @APIResponse(responseCode = "200", description = "An idempotent replay: the first job as it is now; "
            + "Idempotent-Replayed: true",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.JOB)))
    @APIResponse(responseCode = "400", description = "Invalid input (malformed JSON, unknown field, wrong type, "
            + "value out of range, unknown agent, unknown depends_on job, bad Idempotency-Key); field names it",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role submit, or its repos do not include "
            + "the job's repo",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "409", description = "The Idempotency-Key was used with a different request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P409_KEY)))
    @APIResponse(responseCode = "413", description = "The request body is larger than ORCH_MAX_REQUEST_BYTES "
            + "(default 2 MiB); refused before it is read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P413)))
    @APIResponse(responseCode = "415", description = "A body without Content-Type: application/json, or with a "
            + "charset other than UTF-8",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P415)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
    @POST
    @RolesAllowed(Role.SUBMIT_NAME)
    @Consumes(MediaType.APPLICATION_JSON)
    public Response enqueue(@HeaderParam("Idempotency-Key") String idempotencyKey, byte[] body) {
        QueueService.Enqueued e = queue.enqueue(EnqueueRequestParser.parse(body), idempotencyKey, callers.current());
        if (e.replayed()) {
            return Response.ok(details(e.job().id())).header("Idempotent-Replayed", "true").build();
        }
        // the job as written: no read back (it has no runs yet, its dependencies are the ones given)
        QueueService.JobDetails d = queue.enqueued(e.job(), e.dependsOn());
        return Response.created(uri.getAbsolutePathBuilder().path(Long.toString(e.job().id())).build())
                .entity(JobDto.of(d.job(), d.dependsOn(), d.runs(), d.waitingFor()))
                .build();
    }

    /** Up to 1,000 jobs in one transaction: all or nothing; an {@code Idempotency-Key} covers the batch. */
    @Operation(operationId = "enqueueJobs", summary = "Enqueue a batch of jobs",
            description = "Creates up to 1,000 queued jobs in one transaction (role submit): all or nothing. Each "
                    + "job is as for POST /api/jobs, and may also depend on earlier jobs of the same batch by their "
                    + "index (depends_on_index: [0]) besides existing jobs (depends_on). If any job is invalid, "
                    + "nothing is written and the 400 lists every bad job's error, each naming its index and field "
                    + "(jobs[3].repo). A repo-scoped token must be allowed every job's repo (403 names the first "
                    + "job that is not). With an Idempotency-Key, the same key and batch answer the same jobs "
                    + "again (200, Idempotent-Replayed: true), another batch or a single enqueue with that key 409. "
                    + "The whole body counts against ORCH_MAX_REQUEST_BYTES.")
    @RequestBody(required = true, description = "{\"jobs\": [job, ...]}, 1..1000 jobs, each: agent and repo "
            + "required; payload, priority (-1000..1000), max_attempts (1..100), depends_on (existing job ids), "
            + "depends_on_index (indexes of earlier jobs of the batch; with depends_on at most 100) optional. "
            + "Unknown fields are refused.",
            content = @Content(mediaType = "application/json", schema = @Schema(type = SchemaType.OBJECT),
                    examples = @ExampleObject(name = "batch", value = ApiExamples.BATCH)))
    @Parameter(name = "Idempotency-Key", in = ParameterIn.HEADER, required = false,
            description = "1..200 printable ASCII characters without spaces; covers the whole batch",
            example = "6f1c2d3e-release-7")
    @APIResponse(responseCode = "201", description = "The new jobs, in the order of the request, with their "
            + "depends_on (ids, the batch's included)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BatchDto.class),
                    examples = @ExampleObject(name = "201", value = ApiExamples.BATCH_ANSWER)))
    @APIResponse(responseCode = "200", description = "An idempotent replay: the batch's jobs as they are now, as in "
            + "a list (depends_on and runs null); Idempotent-Replayed: true",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = BatchDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.BATCH_ANSWER)))
    @APIResponse(responseCode = "400", description = "Malformed JSON, not {\"jobs\": [...]}, no or more than 1000 "
            + "jobs (field jobs), or bad jobs: errors lists each bad job's first error with its index and field "
            + "(jobs[3].priority); a bad Idempotency-Key. Nothing was written",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = BatchProblem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400_BATCH)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role submit, or its repos do not include "
            + "a job's repo (the detail names the index); nothing was written",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403_BATCH)))
    @APIResponse(responseCode = "409", description = "The Idempotency-Key was used with a different request (or by "
            + "another client: then no job is named)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P409_KEY)))
    @APIResponse(responseCode = "413", description = "The request body is larger than ORCH_MAX_REQUEST_BYTES "
            + "(default 2 MiB); refused before it is read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P413)))
    @APIResponse(responseCode = "415", description = "A body without Content-Type: application/json, or with a "
            + "charset other than UTF-8",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P415)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
    @POST
    @RolesAllowed(Role.SUBMIT_NAME)
    @Path("batch")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response enqueueBatch(@HeaderParam("Idempotency-Key") String idempotencyKey, byte[] body) {
        QueueService.EnqueuedBatch b = queue.enqueueBatch(EnqueueRequestParser.parseBatch(body), idempotencyKey,
                callers.current());
        if (b.replayed()) {
            return Response.ok(new BatchDto(b.jobs().stream().map(JobDto::of).toList()))
                    .header("Idempotent-Replayed", "true").build();
        }
        List<JobDto> jobs = new java.util.ArrayList<>(b.jobs().size());
        for (int i = 0; i < b.jobs().size(); i++) {
            jobs.add(JobDto.of(b.jobs().get(i), b.dependsOn().get(i), List.of()));
        }
        return Response.status(Response.Status.CREATED).entity(new BatchDto(jobs)).build();
    }

    /** Newest first; {@code cursor} is the {@code next_cursor} of the previous page. */
    @Operation(operationId = "listJobs", summary = "List jobs",
            description = "Jobs newest first (by id, descending), filtered by status, repo and agent, in keyset "
                    + "pages: pass the next_cursor of a page as cursor for the next one (role read). A repo-scoped "
                    + "token sees only its repos. Jobs in the list carry depends_on and runs as null.")
    @Parameter(name = "status", in = ParameterIn.QUERY,
            description = "queued, running, done, failed or cancelled", example = "failed")
    @Parameter(name = "repo", in = ParameterIn.QUERY, description = "A valid repo name", example = "demo")
    @Parameter(name = "agent", in = ParameterIn.QUERY, description = "Exact agent name", example = "echo")
    @Parameter(name = "limit", in = ParameterIn.QUERY, description = "1..500, default 50", example = "100")
    @Parameter(name = "cursor", in = ParameterIn.QUERY,
            description = "The next_cursor of the previous page", example = "23")
    @APIResponse(responseCode = "200", description = "One page of jobs; next_cursor is null on the last page",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PageDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.JOB_PAGE)))
    @APIResponse(responseCode = "400", description = "A bad status, repo, limit or cursor; field names it",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))

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

    @Operation(operationId = "getJob", summary = "One job",
            description = "The job with its dependencies (depends_on) and every run, oldest first (role read).")
    @Parameter(name = "id", in = ParameterIn.PATH, required = true,
            description = "Job id, a positive whole number", example = "42")
    @APIResponse(responseCode = "200", description = "The job",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.JOB)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "404", description = "No such job (also: an id that is not a positive whole number, "
            + "a job pruned by retention, a job outside a scoped token's repos)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P404)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
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
    @Operation(operationId = "cancelJob", summary = "Cancel a job",
            description = "A queued job is cancelled at once (200), with the queued jobs that depend on it. A "
                    + "running job gets cancel_requested: its node sends TERM to the run's process group, then KILL "
                    + "after ORCH_KILL_GRACE_SECONDS, and the job ends cancelled (202 while that happens). A "
                    + "finished job: 409. Role operate; audited.")
    @Parameter(name = "id", in = ParameterIn.PATH, required = true, description = "Job id", example = "42")
    @APIResponse(responseCode = "200", description = "The job, cancelled",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.JOB)))
    @APIResponse(responseCode = "202", description = "The running job, cancel_requested: true, while its process is "
            + "being killed",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "202", value = ApiExamples.JOB_CANCELLING)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role operate",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P404)))
    @APIResponse(responseCode = "409", description = "The job is finished (done, failed or cancelled)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P409)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
    @POST
    @RolesAllowed(Role.OPERATE_NAME)
    @Path("{id}/cancel")
    public Response cancel(@PathParam("id") String id) {
        long jobId = Parameters.jobId(id);
        JobControl.Answer a = control.cancel(jobId, callers.current());
        return answer(jobId, a, "cancel", Response.Status.ACCEPTED);
    }

    /** Failed or cancelled: back to queued with attempts reset (200). Otherwise 409. */
    @Operation(operationId = "retryJob", summary = "Retry a job",
            description = "A failed or cancelled job goes back to queued, available at once, with attempts and "
                    + "transient_attempts reset to 0 and cancel_requested cleared (200). Any other status: 409. "
                    + "Role operate; audited.")
    @Parameter(name = "id", in = ParameterIn.PATH, required = true, description = "Job id", example = "42")
    @APIResponse(responseCode = "200", description = "The job, queued again",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = JobDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.JOB)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role operate",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "404", description = "No such job",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P404)))
    @APIResponse(responseCode = "409", description = "The job is neither failed nor cancelled",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P409_RETRY)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
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
        return JobDto.of(d.job(), d.dependsOn(), d.runs(), d.waitingFor());
    }

    static ProblemException notFound(long jobId) {
        return new ProblemException(Response.Status.NOT_FOUND, "no job with id " + jobId, null);
    }



    /** One page of jobs. */
    public record PageDto(List<JobDto> jobs, Long nextCursor) {
    }

    /** The jobs of a batch, in the order of the request. */
    public record BatchDto(List<JobDto> jobs) {
    }
}
