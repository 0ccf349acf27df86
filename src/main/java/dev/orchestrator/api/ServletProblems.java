package dev.orchestrator.api;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Problem documents written straight to a servlet response, for the errors answered outside
 * JAX-RS: by {@link RequestGuard} before a request reaches the API, and by {@link ErrorPageServlet}
 * for the errors the container itself produces. Same shape as {@link Problem}.
 */
final class ServletProblems {
    private static final Map<Integer, String> TITLES = Map.ofEntries(
            Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"), Map.entry(403, "Forbidden"),
            Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"), Map.entry(406, "Not Acceptable"),
            Map.entry(408, "Request Timeout"), Map.entry(409, "Conflict"), Map.entry(411, "Length Required"),
            Map.entry(413, "Content Too Large"), Map.entry(414, "URI Too Long"),
            Map.entry(415, "Unsupported Media Type"), Map.entry(431, "Request Header Fields Too Large"),
            Map.entry(500, "Internal Server Error"), Map.entry(501, "Not Implemented"),
            Map.entry(503, "Service Unavailable"), Map.entry(505, "HTTP Version Not Supported"));

    private ServletProblems() {
    }

    static String title(int status) {
        Response.Status s = Response.Status.fromStatusCode(status); // the titles JAX-RS problems carry
        if (s != null) {
            return s.getReasonPhrase();
        }
        return TITLES.getOrDefault(status, status >= 500 ? "Server Error" : "Client Error");
    }

    static byte[] json(int status, String detail, String field) {
        JsonObjectBuilder b = Json.createObjectBuilder()
                .add("type", "about:blank")
                .add("title", title(status))
                .add("status", status)
                .add("detail", detail);
        if (field == null) {
            b.addNull("field");
        } else {
            b.add("field", field);
        }
        return b.build().toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Replaces whatever the response holds (if it is not committed yet) with the problem document. */
    static void write(HttpServletResponse res, int status, String detail, String field) throws IOException {
        if (res.isCommitted()) {
            return;
        }
        res.resetBuffer();
        byte[] body = json(status, detail, field);
        res.setStatus(status);
        res.setContentType(Problem.MEDIA_TYPE);
        res.setCharacterEncoding("UTF-8");
        res.setContentLength(body.length);
        OutputStream out = res.getOutputStream();
        out.write(body);
        out.flush();
    }
}
