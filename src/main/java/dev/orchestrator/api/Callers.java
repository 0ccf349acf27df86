package dev.orchestrator.api;

import dev.orchestrator.domain.access.ApiToken;
import dev.orchestrator.domain.access.Caller;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;

/** The caller of the current request, as {@link BearerTokenMechanism} authenticated it. */
@RequestScoped
public class Callers {
    /** The request attribute the mechanism leaves the matched token in. */
    static final String TOKEN_ATTRIBUTE = "dev.orchestrator.api.token";

    @Inject
    HttpServletRequest request;

    public Caller current() {
        Object token = request.getAttribute(TOKEN_ATTRIBUTE);
        if (!(token instanceof ApiToken t)) {
            // the mechanism lets no /api request through without a token; reaching here is a bug
            throw new IllegalStateException("no authenticated caller on " + request.getRequestURI());
        }
        return t.caller(request.getRemoteAddr());
    }
}
