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
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The queue at a glance, and pausing or resuming claims (everything, or one repo with ?repo=). */
@Tag(name = "queue", description = "The queue at a glance; pausing and resuming claims")
@SecurityRequirement(name = "bearer")
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

    @Operation(operationId = "getQueue", summary = "The queue at a glance",
            description = "Counts per status (cluster-wide), capacity, the claim gates, durable pauses, the running "
                    + "jobs, and this node's reaper and lease record (role read).")
    @APIResponse(responseCode = "200", description = "The overview",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = QueueDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.QUEUE)))
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
    public QueueDto get() {
        return QueueDto.of(queue.overview(callers.current()));
    }

    @Operation(operationId = "getThroughput", summary = "Jobs finished per minute over the last hour",
            description = "Sixty minutes ending with the current one, oldest first, each with the jobs that finished "
                    + "in it by final status (done, failed, cancelled), cluster-wide for every caller; minutes without "
                    + "any are listed with zeros (role read). Read from the jobs' finished_at: jobs pruned by "
                    + "retention are not counted.")
    @APIResponse(responseCode = "200", description = "Sixty minutes",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = ThroughputDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.THROUGHPUT)))
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
    @Path("throughput")
    public ThroughputDto throughput() {
        return new ThroughputDto(queue.finishedPerMinute(ThroughputDto.MINUTES).stream().map(m ->
                new ThroughputDto.Minute(m.minute(), m.done(), m.failed(), m.cancelled())).toList());
    }

    /** Stops claiming (durably) until resumed; running jobs go on. */
    @Operation(operationId = "pauseClaims", summary = "Pause claiming",
            description = "Stops claiming of every job, or with repo of that repo's jobs, on every node and across "
                    + "restarts, until resumed. Running jobs go on; enqueues are still accepted. Pausing twice is "
                    + "the same as once. Role operate (a repo-scoped token: its repos only); audited.")
    @Parameter(name = "repo", in = ParameterIn.QUERY,
            description = "Pause only this repo (a valid repo name)", example = "web")
    @APIResponse(responseCode = "200", description = "The pauses now in force",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = QueueDto.Paused.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.PAUSED)))
    @APIResponse(responseCode = "400", description = "repo is not a valid repo name",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role operate, or its repos do not include "
            + "repo (or it is scoped and pauses everything)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))

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
    @Operation(operationId = "resumeClaims", summary = "Resume claiming",
            description = "Lifts the global pause, or with repo that repo's pause. The two are separate: resuming "
                    + "everything does not lift repo pauses. Resuming what is not paused does nothing. Role "
                    + "operate; audited.")
    @Parameter(name = "repo", in = ParameterIn.QUERY,
            description = "Resume only this repo (a valid repo name)", example = "web")
    @APIResponse(responseCode = "200", description = "The pauses now in force",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = QueueDto.Paused.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.PAUSED)))
    @APIResponse(responseCode = "400", description = "repo is not a valid repo name",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role operate, or its repos do not include "
            + "repo (or it is scoped and resumes everything)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))

    public QueueDto.Paused resume(@QueryParam("repo") String repo) {
        control.resume(Parameters.repo(repo), callers.current());
        return QueueDto.Paused.of(control.pauses());
    }

}
