package dev.orchestrator.api;

import dev.orchestrator.domain.access.ApiToken;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.access.TokenRegistry;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.service.AuditTrail;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.security.enterprise.AuthenticationStatus;
import jakarta.security.enterprise.authentication.mechanism.http.HttpAuthenticationMechanism;
import jakarta.security.enterprise.authentication.mechanism.http.HttpMessageContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Bearer tokens for the whole of {@code /api} and {@code /metrics}: no request there reaches the
 * application without a valid {@code Authorization: Bearer TOKEN}, whatever its method carries, so
 * an unannotated method is never open. The token's roles (with the roles they include) become the
 * caller's groups, which {@code @RolesAllowed} checks. Health and OpenAPI stay open.
 * A refused control attempt is written to the audit trail. The token is never logged or echoed.
 */
@ApplicationScoped
public class BearerTokenMechanism implements HttpAuthenticationMechanism {
    private static final Logger LOG = Logger.getLogger(BearerTokenMechanism.class.getName());
    /** RFC 6750 b64token. */
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
    static final String REALM = "orchestrator";

    @Inject
    TokenRegistry tokens;

    @Inject
    AuditTrail audit;

    @Inject
    HttpErrors errors;

    @Override
    public AuthenticationStatus validateRequest(HttpServletRequest request, HttpServletResponse response,
                                                HttpMessageContext ctx) {
        String path = pathOf(request);
        // both spellings: the raw URI, and the decoded, normalised path the container routes by
        // (so /%61pi/jobs or /x/../api/jobs cannot slip past)
        if (!protectedPath(path) && !protectedPath(routedPath(request))) {
            return ctx.doNothing();
        }
        String header = request.getHeader("Authorization");
        if (header == null || header.isBlank()) {
            return refuse(request, response, ctx, path, null, "this request needs an API token: send "
                    + "Authorization: Bearer TOKEN");
        }
        int space = header.indexOf(' ');
        String scheme = space < 0 ? header : header.substring(0, space);
        String secret = space < 0 ? "" : header.substring(space + 1).trim();
        if (!scheme.equalsIgnoreCase("Bearer") || !TOKEN.matcher(secret).matches()) {
            return refuse(request, response, ctx, path, "invalid_request",
                    "the Authorization header must be 'Bearer TOKEN'");
        }
        Optional<ApiToken> token = tokens.authenticate(secret);
        if (token.isEmpty()) {
            return refuse(request, response, ctx, path, "invalid_token", "the API token is not valid");
        }
        request.setAttribute(Callers.TOKEN_ATTRIBUTE, token.get());
        Set<String> groups = token.get().roles().stream().map(Role::id).collect(Collectors.toSet());
        return ctx.notifyContainerAboutLogin(token.get().name(), groups);
    }

    /** The request's path below the context root, undecoded. */
    static String pathOf(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String context = request.getContextPath();
        return context != null && !context.isEmpty() && uri.startsWith(context) ? uri.substring(context.length()) : uri;
    }

    /** The decoded path the container maps to a servlet: servlet path plus path info. */
    static String routedPath(HttpServletRequest request) {
        String servlet = request.getServletPath() == null ? "" : request.getServletPath();
        String info = request.getPathInfo() == null ? "" : request.getPathInfo();
        return (servlet + info).replaceAll("/{2,}", "/");
    }

    /** /api and everything below it, /metrics and everything below it. Case-insensitively: never open by spelling. */
    static boolean protectedPath(String path) {
        String p = path.toLowerCase(java.util.Locale.ROOT).replaceAll("/{2,}", "/");
        return under(p, "/api") || under(p, "/metrics");
    }

    private static boolean under(String path, String root) {
        return path.equals(root) || path.startsWith(root + "/") || path.startsWith(root + ";");
    }

    private AuthenticationStatus refuse(HttpServletRequest request, HttpServletResponse response,
                                        HttpMessageContext ctx, String path, String error, String detail) {
        // the query string only: getParameter() would read a form body
        ControlActions.of(request.getMethod(), path, ControlActions.queryParameter(request.getQueryString(), "repo"))
                .ifPresent(a -> record(a, request, detail));
        try {
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            response.setHeader("WWW-Authenticate", "Bearer realm=\"" + REALM + "\""
                    + (error == null ? "" : ", error=\"" + error + "\""));
            response.setContentType(Problem.MEDIA_TYPE);
            response.setCharacterEncoding("UTF-8");
            response.getWriter().write(Json.createObjectBuilder()
                    .add("type", "about:blank")
                    .add("title", "Unauthorized")
                    .add("status", 401)
                    .add("detail", detail)
                    .build().toString());
        } catch (IOException e) {
            LOG.log(Level.FINE, "could not write the 401 answer", e);
        }
        // counted here: a refused request never reaches the servlet filters (HttpErrorFilter)
        request.setAttribute(HttpErrors.COUNTED, Boolean.TRUE);
        errors.record(HttpServletResponse.SC_UNAUTHORIZED);
        return AuthenticationStatus.SEND_FAILURE;
    }

    private void record(ControlActions.Attempt a, HttpServletRequest request, String detail) {
        try {
            audit.refused(null, a.action(), a.target(), AuditEvent.Result.UNAUTHENTICATED, detail,
                    request.getRemoteAddr());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not write a refused " + a.action() + " to the audit trail", e);
        }
    }
}
