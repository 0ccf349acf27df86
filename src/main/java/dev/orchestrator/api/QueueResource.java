package dev.orchestrator.api;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.boot.Bootstrap;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Optional;

/** The queue at a glance, and pausing or resuming claims (everything, or one repo with ?repo=). */
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

    /** Stops claiming (durably) until resumed; running jobs go on. */
    @POST
    @Path("pause")
    public QueueDto.Paused pause(@QueryParam("repo") String repo) {
        orchestrator.queue().control().pause(repo(repo));
        return QueueDto.Paused.of(orchestrator.queue().control().pauses());
    }

    @POST
    @Path("resume")
    public QueueDto.Paused resume(@QueryParam("repo") String repo) {
        orchestrator.queue().control().resume(repo(repo));
        return QueueDto.Paused.of(orchestrator.queue().control().pauses());
    }

    private static Optional<RepoName> repo(String repo) {
        if (repo == null) {
            return Optional.empty();
        }
        String problem = RepoName.problem(repo);
        if (problem != null) {
            throw new ProblemException(Response.Status.BAD_REQUEST, problem, "repo");
        }
        return Optional.of(new RepoName(repo));
    }
}
