package dev.orchestrator.api;

import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.service.AuditTrail;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.ParameterIn;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The audit trail (admin): newest first, filtered, in keyset pages like {@code GET /api/jobs}. */
@Tag(name = "audit", description = "The audit trail of control actions and refused attempts")
@SecurityRequirement(name = "bearer")
@Path("audit")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    @Inject
    AuditTrail audit;

    @Operation(operationId = "listAuditEvents", summary = "The audit trail",
            description = "Control actions and refused attempts, newest first, filtered by actor, action, target, "
                    + "result and since, in keyset pages like listJobs (role admin).")
    @Parameter(name = "actor", in = ParameterIn.QUERY, description = "Token name", example = "ops")
    @Parameter(name = "action", in = ParameterIn.QUERY,
            description = "enqueue, cancel, retry, pause or resume", example = "cancel")
    @Parameter(name = "target", in = ParameterIn.QUERY, description = "job:ID, repo:NAME or *", example = "job:42")
    @Parameter(name = "result", in = ParameterIn.QUERY,
            description = "done, forbidden, unauthenticated, ...", example = "forbidden")
    @Parameter(name = "since", in = ParameterIn.QUERY,
            description = "ISO-8601 instant", example = "2026-12-01T00:00:00Z")
    @Parameter(name = "limit", in = ParameterIn.QUERY, description = "1..500, default 50", example = "50")
    @Parameter(name = "cursor", in = ParameterIn.QUERY,
            description = "The next_cursor of the previous page", example = "7")
    @APIResponse(responseCode = "200", description = "One page of events",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = PageDto.class),
                    examples = @ExampleObject(name = "200", value = ApiExamples.AUDIT_PAGE)))
    @APIResponse(responseCode = "400", description = "A bad since, limit or cursor; field names it",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P400)))
    @APIResponse(responseCode = "401", description = "No valid bearer token (no Authorization header, not Bearer "
            + "TOKEN, or an unknown token); WWW-Authenticate: Bearer realm=orchestrator",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P401)))
    @APIResponse(responseCode = "403", description = "The token lacks the role admin",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P403)))
    @APIResponse(responseCode = "503", description = "The database cannot be reached; Retry-After: 5. Nothing was "
            + "written: retry the request",
            content = @Content(mediaType = ApiExamples.PROBLEM, schema = @Schema(implementation = Problem.class),
                    examples = @ExampleObject(name = "problem", value = ApiExamples.P503)))
    @GET
    @RolesAllowed(Role.ADMIN_NAME)
    public PageDto list(@QueryParam("actor") String actor, @QueryParam("action") String action,
                        @QueryParam("target") String target, @QueryParam("result") String result,
                        @QueryParam("since") String since, @QueryParam("limit") @DefaultValue("50") String limit,
                        @QueryParam("cursor") String cursor) {
        Instant from = null;
        if (since != null) {
            try {
                from = Instant.parse(since);
            } catch (DateTimeParseException e) {
                throw new ProblemException(Response.Status.BAD_REQUEST,
                        "since must be an ISO-8601 instant such as 2026-12-01T00:00:00Z", "since");
            }
        }
        AuditTrail.Page page = audit.page(new AuditTrail.Filter(blankToNull(actor), blankToNull(action),
                        blankToNull(target), blankToNull(result), from),
                cursor == null ? null : Parameters.positive(cursor, "cursor"),
                (int) Math.min(Parameters.positive(limit, "limit"), Integer.MAX_VALUE));
        return new PageDto(page.events().stream().map(EventDto::of).toList(), page.nextCursor());
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** One event as the API shows it. */
    public record EventDto(long id, Instant at, String actor, String action, String target, String result,
                           String detail, String clientAddress) {
        static EventDto of(AuditEvent e) {
            return new EventDto(e.id(), e.at(), e.actor(), e.action(), e.target(), e.result().db(), e.detail(),
                    e.clientAddress());
        }
    }

    /** One page of events. */
    public record PageDto(List<EventDto> events, Long nextCursor) {
    }
}
