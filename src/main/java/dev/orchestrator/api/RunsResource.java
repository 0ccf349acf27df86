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

/** Runs: the end of a run's log. */
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
