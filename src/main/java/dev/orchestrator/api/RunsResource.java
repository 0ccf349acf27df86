package dev.orchestrator.api;

import dev.orchestrator.service.QueueService;
import dev.orchestrator.domain.run.AgentRun;
import dev.orchestrator.domain.access.Role;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.io.IOException;
import java.nio.file.Files;
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

/** Runs: the end of a run's log, or the log as a live stream. */
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

    @Inject
    LogStreams streams;

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
                elsewhere(run));
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /**
     * The run's log as Server-Sent Events: from a byte offset ({@code from}, or {@code Last-Event-ID} when
     * a client reconnects), then what the agent writes, then an {@code end} event with the outcome.
     */
    @Operation(operationId = "streamRunLog", summary = "Follow a run's log live (Server-Sent Events)",
            description = "The run's output.log as text/event-stream: 'log' events whose data is the next piece "
                    + "of text (cut on UTF-8 character boundaries) and whose id is the byte offset after it; "
                    + "then, once the run has ended and its log is read to the end, one 'end' event (JSON: "
                    + "run_id, job_id, outcome, exit_code, error, finished_at, log_bytes) and the stream closes. "
                    + "Start at byte 'from' (default 0); a reconnecting client's Last-Event-ID takes precedence, so "
                    + "nothing is missed or repeated. Served by the node that has the run's log file (the run's "
                    + "node); other nodes answer 404 naming it. At most ORCH_MAX_SSE_STREAMS streams per node "
                    + "(503 beyond); a client that reads nothing for ORCH_SSE_SLOW_CLIENT_SECONDS is dropped "
                    + "(role read).")
    @Parameter(name = "id", in = ParameterIn.PATH, required = true, description = "Run id", example = "130")
    @Parameter(name = "from", in = ParameterIn.QUERY, description = "Byte offset to start at, 0.. the log's size; "
            + "default 0", example = "0")
    @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, description = "The id of the last event received "
            + "(a byte offset): resume after it", example = "20")
    @APIResponse(responseCode = "200", description = "The stream (text/event-stream)",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
                    examples = @ExampleObject(name = "200", value = ApiExamples.LOG_STREAM)))
    @APIResponse(responseCode = "400", description = "from or Last-Event-ID is not a byte offset of the log; field: "
            + "from or Last-Event-ID",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "404", description = "No such run (or out of the token's repos), or its log file is "
            + "not on this node: the detail names the node and host it ran on",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P404_RUN_ELSEWHERE)))
    @APIResponse(responseCode = "503", description = "ORCH_MAX_SSE_STREAMS streams are open on this node, or the "
            + "database cannot be reached",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503_STREAMS)))
    @GET
    @RolesAllowed(Role.READ_NAME)
    @Path("{id}/log/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@PathParam("id") String id, @QueryParam("from") String from,
                       @HeaderParam("Last-Event-ID") String lastEventId, @Context SseEventSink sink, @Context Sse sse) {
        long runId = Parameters.runId(id);
        boolean resumed = lastEventId != null && !lastEventId.isBlank();
        String field = resumed ? "Last-Event-ID" : "from";
        long offset = Parameters.byteOffset(resumed ? lastEventId : from, field);
        AgentRun run = queue.run(runId, callers.current()).orElseThrow(() ->
                new ProblemException(Response.Status.NOT_FOUND, "no run with id " + runId, null));
        if (!streams.hasLog(run)) {
            throw elsewhere(run);
        }
        java.nio.file.Path log = java.nio.file.Path.of(run.logPath());
        long size;
        try {
            size = Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new ProblemException(Response.Status.NOT_FOUND, "run " + runId + ": its log cannot be read", null);
        }
        if (offset > size) {
            throw new ProblemException(Response.Status.BAD_REQUEST, field + " " + offset + " is beyond the end of the "
                    + "log (" + size + " bytes)", field);
        }
        if (!streams.open(run, log, offset, sink, sse)) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, streams.max() + " streams (log and event "
                    + "streams) are open on this node, the most ORCH_MAX_SSE_STREAMS allows; retry later", null);
        }
    }

    /** The 404 for a run whose log file this node does not have: it names the node and host the run ran on. */
    private static ProblemException elsewhere(AgentRun run) {
        return new ProblemException(Response.Status.NOT_FOUND, "run " + run.id() + " has no log on this node: it ran "
                + "on node " + run.nodeId() + " (host " + run.host() + "); ask that node, unless retention pruned "
                + "its files", null);
    }

}
