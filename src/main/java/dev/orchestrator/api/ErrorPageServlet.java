package dev.orchestrator.api;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The application's error page (web.xml {@code <error-page>}, for every status and every
 * exception): the errors that the servlet container or JAX-RS answer without an entity (an
 * unknown path outside {@code /api}, {@code /WEB-INF/...}, an encoded slash, a header JAX-RS cannot
 * parse, an exception escaping a filter) leave as problem documents instead of the server's HTML
 * page. The container's own message is never shown: it can name classes or the server.
 * Requested directly (not as an error page), it answers 404 like any unknown path.
 */
public class ErrorPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = Logger.getLogger(ErrorPageServlet.class.getName());

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        int status = 404;
        Throwable failure = null;
        if (req.getDispatcherType() == DispatcherType.ERROR) {
            Object code = req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
            failure = (Throwable) req.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
            status = code instanceof Integer i && i >= 400 && i <= 599 ? i : 500;
        }
        String detail;
        if (failure != null || status == 500) {
            String id = UUID.randomUUID().toString();
            LOG.log(Level.SEVERE, "unexpected error " + id + " at " + req.getAttribute(RequestDispatcher.ERROR_REQUEST_URI),
                    failure);
            status = 500;
            detail = "unexpected server error; quote " + id + " when reporting it";
        } else {
            detail = detail(status);
        }
        ServletProblems.write(res, status, detail, null);
    }

    static String detail(int status) {
        return switch (status) {
            case 400 -> "the request could not be read (malformed request line, path, header or parameter)";
            case 401 -> "authentication is required";
            case 403 -> "not allowed";
            case 404 -> "no resource at this path (the API is under /api)";
            case 405 -> "this method is not allowed on this path";
            case 406 -> "no acceptable representation: the API answers application/json "
                    + "(and problems as application/problem+json)";
            case 408 -> "the request took too long to arrive";
            case 411 -> "a request body needs a Content-Length or chunked transfer coding";
            case 413 -> "the request body is too large";
            case 414 -> "the request target is too long";
            case 415 -> "unsupported media type: send application/json in UTF-8";
            case 431 -> "the request header fields are too large";
            case 503 -> "the service is unavailable; try again later";
            default -> ServletProblems.title(status);
        };
    }
}
