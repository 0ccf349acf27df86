package dev.orchestrator.api;

import dev.orchestrator.service.InvalidRequestException;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Every error leaves the API as a problem document. */
public final class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class.getName());

    private ProblemMappers() {
    }

    static Response response(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }

    /** Our own problems. */
    @Provider
    public static class ProblemExceptionMapper implements ExceptionMapper<ProblemException> {
        @Override
        public Response toResponse(ProblemException e) {
            return response(e.problem());
        }
    }

    /** Invalid input found by the application layer: 400 naming the field. */
    @Provider
    public static class InvalidRequestMapper implements ExceptionMapper<InvalidRequestException> {
        @Override
        public Response toResponse(InvalidRequestException e) {
            return response(Problem.of(400, "Bad Request", e.getMessage(), e.field()));
        }
    }

    /** A batch with bad items: 400 listing every bad item's error ({@code errors}), each naming index and field. */
    @Provider
    public static class InvalidBatchMapper implements ExceptionMapper<dev.orchestrator.service.InvalidBatchException> {
        @Override
        public Response toResponse(dev.orchestrator.service.InvalidBatchException e) {
            List<BatchProblem.ItemError> errors = e.errors().stream()
                    .map(i -> new BatchProblem.ItemError(i.index(), i.field(), i.detail())).toList();
            return Response.status(400).type(Problem.MEDIA_TYPE)
                    .entity(new BatchProblem("about:blank", "Bad Request", 400, e.getMessage(), e.field(), errors))
                    .build();
        }
    }

    /** A request that conflicts with a job's state: 409. */
    @Provider
    public static class ConflictMapper implements ExceptionMapper<dev.orchestrator.service.ConflictException> {
        @Override
        public Response toResponse(dev.orchestrator.service.ConflictException e) {
            return response(Problem.of(409, "Conflict", e.getMessage(), null));
        }
    }

    /** A token outside its repos (checked by the service, which audits it): 403. */
    @Provider
    public static class AccessDeniedMapper implements ExceptionMapper<dev.orchestrator.service.AccessDeniedException> {
        @Override
        public Response toResponse(dev.orchestrator.service.AccessDeniedException e) {
            return response(Problem.of(403, "Forbidden", e.getMessage(), null));
        }
    }

    /**
     * A token without the role a method's {@code @RolesAllowed} names: 403 naming the role, and a
     * refused control attempt goes to the audit trail.
     */
    @Provider
    public static class MissingRoleMapper implements ExceptionMapper<jakarta.ws.rs.ForbiddenException> {
        @Context
        ResourceInfo resource;

        @Context
        HttpServletRequest request;

        @Inject
        dev.orchestrator.service.AuditTrail audit;

        @Override
        public Response toResponse(jakarta.ws.rs.ForbiddenException e) {
            String needed = neededRole();
            String who = request.getUserPrincipal() == null ? "this token" : "token '"
                    + request.getUserPrincipal().getName() + "'";
            String detail = needed == null ? who + " may not do this"
                    : who + " lacks the role '" + needed + "' that this request needs";
            ControlActions.of(request.getMethod(), BearerTokenMechanism.pathOf(request),
                            ControlActions.queryParameter(request.getQueryString(), "repo"))
                    .ifPresent(a -> {
                        try {
                            audit.refused(request.getUserPrincipal() == null ? null
                                            : request.getUserPrincipal().getName(), a.action(), a.target(),
                                    dev.orchestrator.domain.audit.AuditEvent.Result.FORBIDDEN, detail,
                                    request.getRemoteAddr());
                        } catch (RuntimeException failure) {
                            LOG.log(Level.WARNING, "could not write a refused " + a.action()
                                    + " to the audit trail", failure);
                        }
                    });
            return response(Problem.of(403, "Forbidden", detail, null));
        }

        private String neededRole() {
            java.lang.reflect.Method m = resource == null ? null : resource.getResourceMethod();
            jakarta.annotation.security.RolesAllowed allowed = m == null ? null
                    : m.getAnnotation(jakarta.annotation.security.RolesAllowed.class);
            return allowed == null || allowed.value().length == 0 ? null : String.join(" or ", allowed.value());
        }
    }

    /** JAX-RS's own errors (404 unknown path, 405, 406, 415 ...). */
    @Provider
    public static class WebApplicationMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            Response.StatusType s = e.getResponse().getStatusInfo();
            String detail = e.getMessage() == null ? s.getReasonPhrase() : e.getMessage();
            return response(Problem.of(s.getStatusCode(), s.getReasonPhrase(), detail, null));
        }
    }

    /** Anything else is our bug: logged with an id the client can quote. */
    @Provider
    public static class UnexpectedMapper implements ExceptionMapper<RuntimeException> {
        @Override
        public Response toResponse(RuntimeException e) {
            if (e instanceof WebApplicationException w) {
                return new WebApplicationMapper().toResponse(w);
            }
            if (DatabaseUnavailable.causedBy(e)) {
                return DatabaseUnavailable.response(e); // 503: an outage, not our bug
            }
            String id = UUID.randomUUID().toString();
            LOG.log(Level.SEVERE, "unexpected error " + id, e);
            return response(Problem.of(500, "Internal Server Error",
                    "unexpected server error; quote " + id + " when reporting it", null));
        }
    }
}
