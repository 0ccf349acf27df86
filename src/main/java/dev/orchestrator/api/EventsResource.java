package dev.orchestrator.api;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.event.EventPosition;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The job transitions of the whole cluster, live. */
@Tag(name = "events", description = "Job transitions as they happen")
@SecurityRequirement(name = "bearer")
@Path("events")
@RequestScoped
public class EventsResource {
    /** The agent names the schema allows (jobs.agent's CHECK). */
    private static final Pattern AGENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    @Inject
    Callers callers;

    @Inject
    EventStreams streams;

    @Operation(operationId = "streamEvents", summary = "Follow job transitions live (Server-Sent Events)",
            description = "Every job transition of the cluster, whichever node made it, as text/event-stream: "
                    + "events named enqueued, claimed, started, finished (status done or failed), cancelled, "
                    + "retried (with available_at), and paused and resumed (claiming; scope '*' or 'repo:NAME'). "
                    + "Each event's data is a JSON object (id, type, at, job_id, repo, agent, status, run_id, node, "
                    + "attempts, available_at, scope; null where it does not apply) and its id a position TX-SEQ in "
                    + "a durable feed written in the transitions' own transactions. Without Last-Event-ID the "
                    + "stream starts now; with it (an EventSource sends it when it reconnects) it resumes right "
                    + "after that event: nothing missed, nothing repeated. A 'keep-alive' event every 15 s "
                    + "on a quiet stream (data: {\"id\": ..., \"type\": \"keep-alive\"}) carries the stream's position "
                    + "as its id, so a filtered stream resumes from a recent position; ignore it otherwise. Filters repo, agent and job; a repo-scoped token sees only its repos (role read). "
                    + "Events are kept ORCH_EVENT_RETENTION_HOURS; a resume from before that answers 410.")
    @Parameter(name = "repo", in = ParameterIn.QUERY, description = "Only this repo's jobs (and its pauses)",
            example = "demo")
    @Parameter(name = "agent", in = ParameterIn.QUERY, description = "Only this agent's jobs", example = "echo")
    @Parameter(name = "job", in = ParameterIn.QUERY, description = "Only this job (no pauses)", example = "42")
    @Parameter(name = "Last-Event-ID", in = ParameterIn.HEADER, description = "The id of the last event (a "
            + "keep-alive too) received: resume right after it", example = "7431-1207")
    @APIResponse(responseCode = "200", description = "The stream (text/event-stream)",
            content = @Content(mediaType = MediaType.SERVER_SENT_EVENTS,
                    examples = @ExampleObject(name = "200", value = ApiExamples.EVENT_STREAM)))
    @APIResponse(responseCode = "400", description = "A bad repo, agent, job or Last-Event-ID (not TX-SEQ, or not "
            + "a position of this database); field names it",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role read",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "410", description = "Retention deleted events after Last-Event-ID: reload the state "
            + "you show (GET /api/jobs) and reconnect without Last-Event-ID; field: Last-Event-ID",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P410_EVENTS)))
    @APIResponse(responseCode = "503", description = "ORCH_MAX_SSE_STREAMS streams are open on this node, or the "
            + "database cannot be reached",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503_STREAMS)))
    @GET
    @RolesAllowed(Role.READ_NAME)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@QueryParam("repo") String repo, @QueryParam("agent") String agent,
                       @QueryParam("job") String job, @HeaderParam("Last-Event-ID") String lastEventId,
                       @Context SseEventSink sink, @Context Sse sse) {
        Parameters.repo(repo);
        if (agent != null && !AGENT.matcher(agent).matches()) {
            throw new ProblemException(Response.Status.BAD_REQUEST, "agent must be an agent name: 1..64 characters "
                    + "of A-Z a-z 0-9 . _ -, starting with a letter or digit", "agent");
        }
        Long jobId = job == null ? null : Parameters.positive(job, "job");
        Caller caller = callers.current();
        EventPosition from;
        if (lastEventId == null || lastEventId.isBlank()) {
            from = streams.now();
        } else {
            try {
                from = EventPosition.parse(lastEventId.strip());
            } catch (IllegalArgumentException e) {
                throw new ProblemException(Response.Status.BAD_REQUEST, "Last-Event-ID: " + e.getMessage(),
                        "Last-Event-ID");
            }
            EventStreams.Refusal refusal = streams.refusal(from);
            if (refusal == EventStreams.Refusal.UNKNOWN) {
                throw new ProblemException(Response.Status.BAD_REQUEST, "Last-Event-ID " + from + " is not a "
                        + "position of this database's event feed", "Last-Event-ID");
            }
            if (refusal == EventStreams.Refusal.PRUNED) {
                throw new ProblemException(Response.Status.GONE, "events after " + from + " were deleted by "
                        + "retention (ORCH_EVENT_RETENTION_HOURS): reload what you show and reconnect without "
                        + "Last-Event-ID", "Last-Event-ID");
            }
        }
        EventStreams.Filter filter = new EventStreams.Filter(repo, agent, jobId, caller.repos());
        if (!streams.open(from, filter, sink, sse)) {
            throw new ProblemException(Response.Status.SERVICE_UNAVAILABLE, streams.max() + " streams (log and event "
                    + "streams) are open on this node, the most ORCH_MAX_SSE_STREAMS allows; retry later", null);
        }
    }
}
