package dev.orchestrator.api;

import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.node.NodeStatus;
import dev.orchestrator.service.QueueService;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The cluster's nodes: heartbeats, leases, running jobs. */
@Tag(name = "nodes", description = "The server nodes sharing the database")
@SecurityRequirement(name = "bearer")
@Path("nodes")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class NodesResource {
    @Inject
    QueueService queue;

    @Operation(operationId = "listNodes", summary = "The nodes",
            description = "Every live node, then those stopped within the last day (at most 200), newest first: id, "
                    + "host, started_at, heartbeat_at (database clock), heartbeat_age_seconds, lease_expires_at "
                    + "(heartbeat + ORCH_NODE_LEASE_SECONDS: after it, other nodes may reclaim its jobs), stopped_at, "
                    + "and running (its running jobs, cluster-wide counts for every caller) (role read).")
    @APIResponse(responseCode = "200", description = "The nodes",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = NodesDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.NODES)))
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
    public NodesDto list() {
        return new NodesDto(queue.nodes().stream().map(NodeDto::of).toList());
    }

    /** One node. */
    public record NodeDto(String id, String host, Instant startedAt, Instant heartbeatAt, double heartbeatAgeSeconds,
                          Instant leaseExpiresAt, Instant stoppedAt, long running) {
        static NodeDto of(NodeStatus n) {
            return new NodeDto(n.id(), n.host(), n.startedAt(), n.heartbeatAt(),
                    Math.round(n.heartbeatAgeSeconds() * 10) / 10.0, n.leaseExpiresAt(), n.stoppedAt(), n.running());
        }
    }

    /** The nodes. */
    public record NodesDto(List<NodeDto> nodes) {
    }
}
