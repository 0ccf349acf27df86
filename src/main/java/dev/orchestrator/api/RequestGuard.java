package dev.orchestrator.api;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;

/**
 * The first check of every request to the application (web.xml, {@code /*}), before JAX-RS
 * reads anything: the size of the request target and headers (414, 431), a readable
 * {@code Content-Type} (400), a body's size against {@code ORCH_MAX_REQUEST_BYTES} (413: refused by
 * its {@code Content-Length} without reading it, or, for a chunked body, as soon as the count
 * passes the limit while JAX-RS reads it), a body's media type and charset (415: none, or a
 * charset other than UTF-8), and {@code TRACE} (405). Each refusal is a problem document.
 */
public class RequestGuard implements Filter {
    @Inject
    Instance<RequestLimits> limitsSource;

    private volatile RequestLimits limits;

    private RequestLimits limits() {
        RequestLimits l = limits;
        if (l == null) {
            l = limitsSource.get();
            limits = l;
        }
        return l;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse res = (HttpServletResponse) response;
        if ("TRACE".equalsIgnoreCase(req.getMethod())) {
            refuse(res, 405, "TRACE is not allowed", null, false);
            return;
        }
        String query = req.getQueryString();
        long target = req.getRequestURI().length() + (query == null ? 0 : query.length() + 1);
        if (target > RequestLimits.MAX_URI_CHARS) {
            refuse(res, 414, "the request target is " + target + " characters long; at most "
                    + RequestLimits.MAX_URI_CHARS + " are read", null, false);
            return;
        }
        String headerProblem = headerProblem(req);
        if (headerProblem != null) {
            refuse(res, 431, headerProblem, null, false);
            return;
        }
        String contentType = req.getHeader("Content-Type");
        MediaTypeHeader mediaType = null;
        if (contentType != null) {
            try {
                mediaType = MediaTypeHeader.parse(contentType);
            } catch (MediaTypeHeader.MalformedException e) {
                refuse(res, 400, "malformed Content-Type: " + e.getMessage(), "Content-Type", hasBody(req));
                return;
            }
        }
        if (hasBody(req)) {
            long max = limits().maxRequestBytes();
            long length = req.getContentLengthLong();
            if (length > max) {
                refuse(res, 413, "the request body is " + length + " bytes; at most " + max
                        + " are accepted (ORCH_MAX_REQUEST_BYTES)", null, true);
                return;
            }
            if (mediaType == null) {
                refuse(res, 415, "a request body needs Content-Type: application/json", "Content-Type", true);
                return;
            }
            if (mediaType.charset().isPresent()
                    && !mediaType.charset().get().equalsIgnoreCase(StandardCharsets.UTF_8.name())) {
                refuse(res, 415, "charset " + printable(mediaType.charset().get()) + " is not supported: send "
                        + "the body in UTF-8 (charset=utf-8, or no charset)", "Content-Type", true);
                return;
            }
            req = new LimitedBody(req, res, max);
        }
        chain.doFilter(req, res);
    }

    private static boolean hasBody(HttpServletRequest req) {
        return req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
    }

    private static String headerProblem(HttpServletRequest req) {
        int fields = 0;
        long total = 0;
        Enumeration<String> names = req.getHeaderNames();
        while (names != null && names.hasMoreElements()) {
            String name = names.nextElement();
            Enumeration<String> values = req.getHeaders(name);
            while (values.hasMoreElements()) {
                String value = values.nextElement();
                int size = name.length() + 2 + (value == null ? 0 : value.length());
                if (size > RequestLimits.MAX_HEADER_FIELD_BYTES) {
                    return "header field " + printable(name) + " is " + size + " bytes long; at most "
                            + RequestLimits.MAX_HEADER_FIELD_BYTES + " are read";
                }
                fields++;
                total += size;
            }
        }
        if (fields > RequestLimits.MAX_HEADER_FIELDS) {
            return "the request has " + fields + " header fields; at most " + RequestLimits.MAX_HEADER_FIELDS
                    + " are read";
        }
        if (total > RequestLimits.MAX_HEADER_BYTES) {
            return "the request's header fields are " + total + " bytes together; at most "
                    + RequestLimits.MAX_HEADER_BYTES + " are read";
        }
        return null;
    }

    /** At most 64 characters of a client's value, printable ASCII only, for a detail message. */
    static String printable(String s) {
        StringBuilder out = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.append(s.length() > 64 ? "...'" : "'").toString();
    }

    /** {@code close}: the body was not read, so the connection is not kept for another request. */
    private static void refuse(HttpServletResponse res, int status, String detail, String field, boolean close)
            throws IOException {
        if (close) {
            res.setHeader("Connection", "close");
        }
        ServletProblems.write(res, status, detail, field);
    }

    /** The body, counted as it is read: past the limit, reading fails with a 413 problem. */
    private static final class LimitedBody extends HttpServletRequestWrapper {
        private final HttpServletResponse res;
        private final long max;
        private ServletInputStream stream;

        LimitedBody(HttpServletRequest req, HttpServletResponse res, long max) {
            super(req);
            this.res = res;
            this.max = max;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new Counting(super.getInputStream());
            }
            return stream;
        }

        @Override
        public java.io.BufferedReader getReader() {
            throw new IllegalStateException("the API reads request bodies as bytes");
        }

        private final class Counting extends ServletInputStream {
            private final ServletInputStream in;
            private long count;

            Counting(ServletInputStream in) {
                this.in = in;
            }

            private int counted(int n) {
                if (n > 0) {
                    count += n;
                    if (count > max) {
                        res.setHeader("Connection", "close");
                        throw new ProblemException(Response.Status.REQUEST_ENTITY_TOO_LARGE, "the request body "
                                + "is larger than " + max + " bytes (ORCH_MAX_REQUEST_BYTES); reading stopped there",
                                null);
                    }
                }
                return n;
            }

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    counted(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                // never ask for more than one byte past the limit
                long room = max - count + 1;
                return counted(in.read(b, off, (int) Math.min(len, Math.max(1, room))));
            }

            @Override
            public boolean isFinished() {
                return in.isFinished();
            }

            @Override
            public boolean isReady() {
                return in.isReady();
            }

            @Override
            public void setReadListener(ReadListener listener) {
                in.setReadListener(listener);
            }
        }
    }
}
