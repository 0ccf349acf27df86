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

/** The audit trail (admin): newest first, filtered, in keyset pages like {@code GET /api/jobs}. */
@Path("audit")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    @Inject
    AuditTrail audit;

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
