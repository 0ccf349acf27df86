package dev.orchestrator.api;

import jakarta.inject.Inject;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Counts every error answer by status ({@link HttpErrors}): the first filter of every request
 * (web.xml, before {@link RequestGuard}), so that the guard's refusals (413, 415, ...), JAX-RS's
 * problem documents and the container's own errors (404 on unknown paths) are all counted. The
 * status is read after the chain: a {@code sendError} has set it by then. An exception escaping the
 * chain is counted as 500, which is what the container answers for it.
 */
public class HttpErrorFilter implements Filter {
    @Inject
    HttpErrors errors;

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        boolean escaped = true;
        try {
            chain.doFilter(request, response);
            escaped = false;
        } finally {
            if (request.getAttribute(HttpErrors.COUNTED) == null) {
                errors.record(escaped ? 500 : ((HttpServletResponse) response).getStatus());
            }
        }
    }
}
