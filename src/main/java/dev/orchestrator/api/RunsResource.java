package dev.orchestrator.api;

import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.run.AgentRun;
import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Runs: the end of a run's log. */
@Tag(name = "runs", description = "A run's output")
@SecurityRequirement(name = "bearer")
@Path("runs")
@RequestScoped
public class RunsResource {
    static final int MAX_TAIL = 10_000;
    static final int MAX_BYTES = 4 * 1024 * 1024;

    @Inject
    QueueService queue;

    @Inject
    Callers callers;

    /** The last {@code tail} lines (default 100, at most 10,000; at most 4 MiB) as text. */
    @Operation(operationId = "getRunLog", summary = "The end of a run's log",
            description = "The last tail lines of the run's output.log (stdout and stderr of the agent) as "
                    + "text/plain; charset=utf-8. At most the last 4 MiB of the file are read (role read).")
    @Parameter(name = "id", in = ParameterIn.PATH, required = true, description = "Run id", example = "130")
    @Parameter(name = "tail", in = ParameterIn.QUERY, description = "1..10000 lines, default 100", example = "20")
    @APIResponse(responseCode = "200", description = "The lines, one per line (empty if the log is empty)",
            content = @Content(mediaType = "text/plain",
                    examples = @ExampleObject(name = "200", value = ApiExamples.LOG)))
    @APIResponse(responseCode = "400", description = "tail is not 1..10000; field: tail",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "404", description = "No such run, or its log file is not on this node (it ran "
            + "elsewhere, or retention pruned it)",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P404_RUN)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))

    @GET
    @RolesAllowed(Role.READ_NAME)
    @Path("{id}/log")
    @Produces(MediaType.TEXT_PLAIN + ";charset=utf-8")
    public String log(@PathParam("id") String id, @QueryParam("tail") @DefaultValue("100") String tail) {
        long runId = Parameters.runId(id);
        long n = Parameters.positive(tail, "tail");
        if (n > MAX_TAIL) {
            throw new ProblemException(Response.Status.BAD_REQUEST, "tail must be at most " + MAX_TAIL, "tail");
        }
        AgentRun run = queue.run(runId, callers.current()).orElseThrow(() ->
                new ProblemException(Response.Status.NOT_FOUND, "no run with id " + runId, null));
        java.util.List<String> lines = queue.logTail(run, (int) n, MAX_BYTES).orElseThrow(() ->
                new ProblemException(Response.Status.NOT_FOUND, "run " + runId + " has no log on this node ("
                        + run.logPath() + "): it never started here, or it was pruned", null));
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            out.append(line).append('\n');
        }
        return out.toString();
    }
}
