package dev.orchestrator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built WAR on Payara Micro, attacked from outside as a hostile client would: malformed and
 * hostile requests, each answered by a problem document (the right status, {@code
 * application/problem+json}, no stack trace, Java class or product name) that wrote nothing (no
 * job and no pause: read through JDBC before and after every request). Requests go over a
 * raw socket so that bytes an ordinary client refuses to send (invalid UTF-8, bad header bytes,
 * TRACE, huge request lines) can be sent as they are.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class HostileRequestsIT {
    private static final String TOKEN = System.getenv("ORCH_API_TOKEN");
    private static final String JSON = "application/json";
    private static final String OK_BODY = "{\"agent\": \"echo\", \"repo\": \"hostile\"}";
    /** The repo of the one job this class creates on purpose. */
    private static final String CONTROL_REPO = "hostile-control";
    /** What a response must never show. */
    private static final List<String> LEAKS = List.of("payara", "glassfish", "grizzly", "jersey", "java.",
            "jakarta.", "javax.", "exception", "dev.orchestrator", "<html", "<!doctype", "\tat ", "wadl");

    @Deployment(testable = false)
    static WebArchive deployment() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("orch.war")));
    }

    @ArquillianResource
    URL base;

    // ------------------------------------------------------------------ the table

    /** One hostile request and the answer it must get. {@code field} null: not checked. */
    record Case(String name, byte[] request, int status, String field) {
    }

    private final List<Case> cases = new ArrayList<>();

    private void post(String name, String path, String contentType, byte[] body, int status, String field,
                      String... headers) {
        cases.add(new Case(name, request("POST", path, contentType, body, headers), status, field));
    }

    private void postJson(String name, String body, int status, String field) {
        post(name, "jobs", JSON, utf8(body), status, field);
    }

    private void postBatch(String name, String body, int status, String field) {
        post(name, "jobs/batch", JSON, utf8(body), status, field);
    }

    private void send(String name, String method, String path, int status, String... headers) {
        cases.add(new Case(name, request(method, path, null, null, headers), status, null));
    }

    private List<Case> table() {
        // truncated and invalid JSON
        postJson("truncated object", "{\"agent\": \"echo\", \"repo\"", 400, null);
        postJson("truncated string", "{\"agent\": \"ec", 400, null);
        postJson("unquoted keys", "{agent: echo, repo: r}", 400, null);
        postJson("single quotes", "{'agent': 'echo', 'repo': 'r'}", 400, null);
        postJson("trailing comma", "{\"agent\": \"echo\", \"repo\": \"r\",}", 400, null);
        postJson("a comment", "{\"agent\": \"echo\", \"repo\": \"r\" /* x */}", 400, null);
        postJson("two JSON values", OK_BODY + OK_BODY, 400, null);
        postJson("content after the object", OK_BODY + " x", 400, null);
        postJson("an array", "[1, 2]", 400, null);
        postJson("JSON null", "null", 400, null);
        postJson("whitespace only", "  \n ", 400, null);
        post("empty body", "jobs", JSON, new byte[0], 400, null);
        post("no body and no Content-Type", "jobs", null, null, 400, null);
        post("byte order mark", "jobs", JSON, concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf},
                utf8(OK_BODY)), 400, null);
        postJson("NaN", "{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": NaN}", 400, null);
        postJson("nested 100000 deep", "{\"agent\": \"echo\", \"repo\": \"r\", \"payload\": "
                + "[".repeat(100_000) + "]".repeat(100_000) + "}", 400, null);
        // wrong types and huge numbers
        postJson("agent a number", "{\"agent\": 1, \"repo\": \"r\"}", 400, "agent");
        postJson("repo an array", "{\"agent\": \"echo\", \"repo\": [\"r\"]}", 400, "repo");
        postJson("priority a string", "{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": \"5\"}", 400, "priority");
        postJson("priority a fraction", "{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": 1.5}", 400, "priority");
        postJson("priority 1e999999999", "{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": 1e999999999}", 400,
                "priority");
        postJson("priority of 5000 digits", "{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": "
                + "9".repeat(5000) + "}", 400, null);
        postJson("max_attempts 2^63", "{\"agent\": \"echo\", \"repo\": \"r\", \"max_attempts\": "
                + "9223372036854775808}", 400, "max_attempts");
        postJson("max_attempts -0", "{\"agent\": \"echo\", \"repo\": \"r\", \"max_attempts\": -0}", 400,
                "max_attempts");
        postJson("depends_on an object", "{\"agent\": \"echo\", \"repo\": \"r\", \"depends_on\": {}}", 400,
                "depends_on");
        postJson("depends_on a negative id", "{\"agent\": \"echo\", \"repo\": \"r\", \"depends_on\": [-3]}", 400,
                "depends_on");
        postJson("depends_on an unknown job", "{\"agent\": \"echo\", \"repo\": \"r\", \"depends_on\": "
                + "[987654321]}", 400, "depends_on");
        postJson("unknown field", "{\"agent\": \"echo\", \"repo\": \"r\", \"command\": [\"rm\"]}", 400, "command");
        postJson("unknown agent", "{\"agent\": \"nope\", \"repo\": \"r\"}", 400, "agent");
        postJson("repo escaping its directory", "{\"agent\": \"echo\", \"repo\": \"../../etc\"}", 400, "repo");
        postJson("NUL in repo", "{\"agent\": \"echo\", \"repo\": \"r\\u0000\"}", 400, "repo");
        // the list: duplicates, surrogates, invalid UTF-8
        postJson("duplicate agent (last one valid)", "{\"agent\": \"nope\", \"agent\": \"echo\", \"repo\": \"r\"}",
                400, "agent");
        postJson("duplicate key inside payload", "{\"agent\": \"echo\", \"repo\": \"r\", \"payload\": "
                + "{\"a\": {\"k\": 1, \"k\": 2}}}", 400, "payload");
        postJson("lone surrogate escape", "{\"agent\": \"echo\", \"repo\": \"r\", \"payload\": \"\\ud800\"}", 400,
                null);
        postJson("lone surrogate in a key", "{\"agent\": \"echo\", \"repo\": \"r\", \"payload\": {\"\\udc00\": 1}}",
                400, null);
        post("invalid UTF-8 byte 0xff", "jobs", JSON, jsonWithRawBytes(0xff), 400, null);
        post("UTF-8-encoded surrogate", "jobs", JSON, jsonWithRawBytes(0xed, 0xa0, 0x80), 400, null);
        post("overlong UTF-8", "jobs", JSON, jsonWithRawBytes(0xc0, 0xaf), 400, null);
        post("truncated UTF-8 sequence", "jobs", JSON, jsonWithRawBytes(0xe4, 0xb8), 400, null);
        // Idempotency-Key
        post("Idempotency-Key of 300 characters", "jobs", JSON, utf8(OK_BODY), 400, "Idempotency-Key",
                "Idempotency-Key: " + "k".repeat(300));
        post("Idempotency-Key with a space", "jobs", JSON, utf8(OK_BODY), 400, "Idempotency-Key",
                "Idempotency-Key: a b");
        // batches: refused as a whole, or naming the bad item by index and field; nothing written
        postBatch("batch: an array", "[" + OK_BODY + "]", 400, null);
        postBatch("batch: jobs missing", "{\"job\": [" + OK_BODY + "]}", 400, "job");
        postBatch("batch: jobs an object", "{\"jobs\": " + OK_BODY + "}", 400, "jobs");
        postBatch("batch: no jobs", "{\"jobs\": []}", 400, "jobs");
        postBatch("batch: 1001 jobs", "{\"jobs\": [" + String.join(",", java.util.Collections.nCopies(1001,
                OK_BODY)) + "]}", 400, "jobs");
        postBatch("batch: a good job then a bad repo", "{\"jobs\": [" + OK_BODY + ", {\"agent\": \"echo\", "
                + "\"repo\": \"../etc\"}]}", 400, "jobs[1].repo");
        postBatch("batch: an item that is a number", "{\"jobs\": [" + OK_BODY + ", 7]}", 400, "jobs[1]");
        postBatch("batch: depends_on_index on itself", "{\"jobs\": [" + OK_BODY + ", {\"agent\": \"echo\", "
                + "\"repo\": \"r\", \"depends_on_index\": [1]}]}", 400, "jobs[1].depends_on_index");
        postBatch("batch: depends_on_index 2^40", "{\"jobs\": [{\"agent\": \"echo\", \"repo\": \"r\", "
                + "\"depends_on_index\": [1099511627776]}]}", 400, "jobs[0].depends_on_index");
        postBatch("batch: duplicate key in an item", "{\"jobs\": [" + OK_BODY + ", {\"agent\": \"echo\", "
                + "\"repo\": \"r\", \"repo\": \"s\"}]}", 400, "jobs[1].repo");
        postBatch("batch: unknown job in depends_on", "{\"jobs\": [" + OK_BODY + ", {\"agent\": \"echo\", "
                + "\"repo\": \"r\", \"depends_on\": [987654321]}]}", 400, "jobs[1].depends_on");
        post("batch: Idempotency-Key with a space", "jobs/batch", JSON, utf8("{\"jobs\": [" + OK_BODY + "]}"), 400,
                "Idempotency-Key", "Idempotency-Key: a b");
        post("batch: text/plain", "jobs/batch", "text/plain", utf8("{\"jobs\": [" + OK_BODY + "]}"), 415, null);
        // media types
        post("no Content-Type", "jobs", null, utf8(OK_BODY), 415, "Content-Type");
        post("text/plain", "jobs", "text/plain", utf8(OK_BODY), 415, null);
        post("application/xml", "jobs", "application/xml", utf8("<job/>"), 415, null);
        post("charset=bogus", "jobs", "application/json; charset=bogus", utf8(OK_BODY), 415, "Content-Type");
        post("charset=iso-8859-1", "jobs", "application/json; charset=iso-8859-1", utf8(OK_BODY), 415,
                "Content-Type");
        post("empty charset=", "jobs", "application/json; charset=", utf8(OK_BODY), 400, "Content-Type");
        post("Content-Type ;;;", "jobs", ";;;", utf8(OK_BODY), 400, "Content-Type");
        post("unterminated quote", "jobs", "application/json; charset=\"utf-8", utf8(OK_BODY), 400,
                "Content-Type");
        post("no subtype", "jobs", "application", utf8(OK_BODY), 400, "Content-Type");
        send("Accept: application/xml", "GET", "jobs", 406, "Accept: application/xml");
        // wrong methods
        send("DELETE /api/jobs", "DELETE", "jobs", 405);
        cases.add(new Case("PUT /api/jobs/1", request("PUT", "jobs/1", JSON, utf8(OK_BODY)), 405, null));
        cases.add(new Case("PATCH /api/queue", request("PATCH", "queue", JSON, utf8("{}")), 405, null));
        send("GET /api/jobs/1/cancel", "GET", "jobs/1/cancel", 405);
        send("POST /api/queue", "POST", "queue", 405);
        send("invented method FOO", "FOO", "jobs", 405);
        // bad paths
        send("unknown API path", "GET", "nope", 404);
        send("unknown path outside the API", "GET", "/nope", 404);
        send("/WEB-INF/web.xml", "GET", "/WEB-INF/web.xml", 404);
        send("/META-INF/MANIFEST.MF", "GET", "/META-INF/MANIFEST.MF", 404);
        send("../ out of the API to /WEB-INF", "GET", "../WEB-INF/beans.xml", 404);
        send("encoded ../ in a run id", "GET", "runs/..%2F..%2Fetc%2Fpasswd/log", 404);
        send("the error page itself", "GET", "/_error", 404);
        send("the WADL", "GET", "application.wadl", 404);
        send("job id abc", "GET", "jobs/abc", 404);
        send("job id 0", "GET", "jobs/0", 404);
        send("job id of 20 digits", "GET", "jobs/99999999999999999999", 404);
        send("cancel of job abc", "POST", "jobs/abc/cancel", 404);
        send("retry of a job that does not exist", "POST", "jobs/987654321/retry", 404);
        // bad query parameters
        send("limit=abc", "GET", "jobs?limit=abc", 400);
        send("limit=0", "GET", "jobs?limit=0", 400);
        send("limit of 20 digits", "GET", "jobs?limit=99999999999999999999", 400);
        send("limit=%", "GET", "jobs?limit=%", 400);
        send("status=bogus", "GET", "jobs?status=bogus", 400);
        send("cursor=-5", "GET", "jobs?cursor=-5", 400);
        send("tail=100000", "GET", "runs/1/log?tail=100000", 400);
        send("pause of repo ../x", "POST", "queue/pause?repo=../x", 400);
        send("resume of repo with a slash", "POST", "queue/resume?repo=a%2Fb", 400);
        // sizes
        send("a 64 KB request target", "GET", "jobs?cursor=" + "1".repeat(65_536), 414);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add("X-Hostile-" + i + ": v");
        }
        send("200 header fields", "GET", "jobs", 431, many.toArray(String[]::new));
        send("a 64 KB header field", "GET", "jobs", 431, "X-Big: " + "a".repeat(65_536));
        List<String> wide = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            wide.add("X-Wide-" + i + ": " + "w".repeat(1000));
        }
        send("20 KB of header fields", "GET", "jobs", 431, wide.toArray(String[]::new));
        return cases;
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void every_hostile_request_gets_a_problem_document_and_writes_nothing() throws Exception {
        List<Case> table = table();
        assertTrue(table.size() >= 40, "at least 40 cases, got " + table.size());
        List<String> failures = new ArrayList<>();
        for (Case c : table) {
            String before = written();
            Answer a = exchange(c.request(), null);
            String problem = problemIn(a, c.status(), c.field());
            String after = written();
            if (problem != null) {
                failures.add(c.name() + ": " + problem);
            } else if (!before.equals(after)) {
                failures.add(c.name() + ": wrote to the database (" + before + " -> " + after + ")");
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + table.size() + " hostile requests were answered badly:\n  "
                    + String.join("\n  ", failures));
        }
    }

    @Test
    void an_oversize_body_is_refused_by_its_content_length_before_it_is_read() throws Exception {
        int limit = 2 * 1024 * 1024;
        byte[] body = bigJob(limit + 1024 * 1024);
        String before = written();
        // only the head and the first bytes go out: the answer must not wait for the rest
        Answer a = exchange(head("POST", "jobs", JSON, body.length, false), java.util.Arrays.copyOf(body, 1024));
        assertNull(problemIn(a, 413, null));
        assertTrue(a.body().contains("ORCH_MAX_REQUEST_BYTES"), a.body());
        assertEquals("close", a.headers().get("connection"));
        assertEquals(before, written());
    }

    @Test
    void an_oversize_chunked_body_is_refused_while_it_is_read() throws Exception {
        int limit = 2 * 1024 * 1024;
        byte[] body = bigJob(limit + 1024 * 1024);
        ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        for (int i = 0; i < body.length; i += 65_536) {
            int n = Math.min(65_536, body.length - i);
            chunked.write(utf8(Integer.toHexString(n) + "\r\n"));
            chunked.write(body, i, n);
            chunked.write(utf8("\r\n"));
        }
        chunked.write(utf8("0\r\n\r\n"));
        String before = written();
        Answer a = exchange(head("POST", "jobs", JSON, -1, true), chunked.toByteArray());
        assertNull(problemIn(a, 413, null));
        assertTrue(a.body().contains("reading stopped"), a.body());
        assertEquals(before, written());
    }

    @Test
    void a_body_just_under_the_limit_is_read_and_judged_on_its_content() throws Exception {
        // a 1.5 MiB payload passes the size check and is refused by the payload rule (1,000,000 chars)
        byte[] body = bigJob(1536 * 1024);
        String before = written();
        Answer a = exchange(request("POST", "jobs", JSON, body), null);
        assertNull(problemIn(a, 400, "payload"));
        assertEquals(before, written());
    }

    @Test
    void options_answers_the_allowed_methods_without_a_wadl_document() throws Exception {
        Answer a = exchange(request("OPTIONS", "jobs", null, null), null);
        assertEquals(200, a.status());
        String allow = a.headers().get("allow");
        assertNotNull(allow, "Allow header");
        assertTrue(allow.contains("GET") && allow.contains("POST"), allow);
        assertFalse(a.body().toLowerCase(Locale.ROOT).contains("wadl"), a.body());
        assertFalse(String.valueOf(a.headers().get("content-type")).contains("wadl"));
    }

    /**
     * The few refusals the HTTP layer answers before the application can (docs/api.md lists them):
     * the documented status, nothing leaked, nothing written. A change here means the list in the
     * docs is out of date.
     */
    @Test
    void the_refusals_of_the_http_layer_are_the_documented_ones_and_write_nothing() throws Exception {
        Map<String, Object[]> layer = new LinkedHashMap<>();
        layer.put("TRACE", new Object[] {request("TRACE", "jobs", null, null), 405});
        layer.put("NUL in the path", new Object[] {request("GET", "jobs/1%00", null, null), 400});
        layer.put("invalid UTF-8 escape in the path", new Object[] {request("GET", "jobs/%ff", null, null), 400});
        layer.put("overlong UTF-8 escape in the path", new Object[] {request("GET", "jobs/%C0%AF", null, null),
                400});
        layer.put("invalid %-escape in the path", new Object[] {request("POST", "jobs%zz", JSON, utf8(OK_BODY)),
                200});
        layer.put("control byte in a header", new Object[] {request("POST", "jobs", JSON, utf8(OK_BODY),
                "Idempotency-Key: a\u0001b"), 400});
        layer.put("non-ASCII bytes in a header", new Object[] {withRawHeader(request("POST", "jobs", JSON,
                utf8(OK_BODY)), new byte[] {'I', 'd', 'e', 'm', 'p', 'o', 't', 'e', 'n', 'c', 'y', '-', 'K', 'e', 'y',
                ':', ' ', (byte) 0xc3, (byte) 0xa9}), 400});
        layer.put("a 200 KB request target", new Object[] {request("GET", "jobs?cursor=" + "1".repeat(200_000),
                null, null), 400});
        layer.put("a backslash in the path", new Object[] {request("GET", "jobs\\1", null, null), 400});
        layer.put("Content-Length abc", new Object[] {request("POST", "jobs", JSON, null, "Content-Length: abc"),
                400});
        layer.put("two Content-Lengths", new Object[] {request("POST", "jobs", JSON, utf8(OK_BODY),
                "Content-Length: 5"), 400});
        layer.put("a chunk size that is not hex", new Object[] {concat(head("POST", "jobs", JSON, -1, true),
                utf8("zz\r\n" + OK_BODY + "\r\n0\r\n\r\n")), 400});
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            tooMany.add("X-" + i + ": v");
        }
        layer.put("1100 header fields", new Object[] {request("GET", "jobs", null, null,
                tooMany.toArray(String[]::new)), 400});
        layer.put("HTTP/9.9", new Object[] {utf8("GET " + apiPath("jobs") + " HTTP/9.9\r\nHost: x\r\n\r\n"), 505});
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Object[]> e : layer.entrySet()) {
            String before = written();
            Answer a = exchange((byte[]) e.getValue()[0], null);
            int expected = (Integer) e.getValue()[1];
            if (a.status() != expected) {
                failures.add(e.getKey() + ": status " + a.status() + ", documented " + expected);
            }
            String leak = leak(a);
            if (leak != null) {
                failures.add(e.getKey() + ": shows '" + leak + "'");
            }
            if (!before.equals(written())) {
                failures.add(e.getKey() + ": wrote to the database");
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n  ", failures));
        }
    }

    @Test
    void the_checks_see_a_write_and_a_valid_payload_is_stored_exactly_as_sent() throws Exception {
        // the control of the table above: a valid request does change what written() reads
        String before = written(true);
        String payload = "{\"text\":\"h\u00e9 \u4e2d \uD83D\uDE00\",\"escaped\":\"\\ud83d\\ude00\"}";
        Answer a = exchange(request("POST", "jobs", "application/json; charset=UTF-8",
                utf8("{\"agent\": \"echo\", \"repo\": \"" + CONTROL_REPO + "\", \"payload\": " + payload + "}")), null);
        assertEquals(201, a.status(), a.body());
        assertFalse(before.equals(written(true)), "a created job must show in the fingerprint");
        JsonObject job = Json.createReader(new StringReader(a.body())).readObject();
        JsonObject stored = job.getJsonObject("payload");
        assertEquals("h\u00e9 \u4e2d \uD83D\uDE00", stored.getString("text"));
        assertEquals("\uD83D\uDE00", stored.getString("escaped"));
    }

    // ------------------------------------------------------------------ checking an answer

    /** Null if {@code a} is the expected problem document; otherwise what is wrong with it. */
    private static String problemIn(Answer a, int status, String field) {
        if (a.status() != status) {
            return "status " + a.status() + " (expected " + status + "), body: " + abbreviate(a.body());
        }
        String type = a.headers().get("content-type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/problem+json")) {
            return "Content-Type " + type + ", body: " + abbreviate(a.body());
        }
        String leak = leak(a);
        if (leak != null) {
            return "shows '" + leak + "': " + abbreviate(a.body());
        }
        JsonObject p;
        try {
            p = Json.createReader(new StringReader(a.body())).readObject();
        } catch (RuntimeException e) {
            return "body is not a JSON object: " + abbreviate(a.body());
        }
        for (String key : List.of("type", "title", "status", "detail", "field")) {
            if (!p.containsKey(key)) {
                return "problem document without '" + key + "': " + a.body();
            }
        }
        if (p.getInt("status") != status) {
            return "problem status " + p.getInt("status") + " in a " + status + " answer";
        }
        if (p.getString("detail").isBlank()) {
            return "empty detail";
        }
        if (field != null && (p.get("field").getValueType() != JsonValue.ValueType.STRING
                || !field.equals(p.getString("field")))) {
            return "field " + p.get("field") + " (expected " + field + "): " + a.body();
        }
        return null;
    }

    private static void assertNull(String problem) {
        if (problem != null) {
            fail(problem);
        }
    }

    /** The first forbidden word in the answer's body or header values (and where), or null. */
    private static String leak(Answer a) {
        Map<String, String> places = new LinkedHashMap<>();
        places.put("body", a.body());
        a.headers().forEach((name, value) -> places.put("header " + name, value));
        for (Map.Entry<String, String> place : places.entrySet()) {
            String text = place.getValue().toLowerCase(Locale.ROOT);
            for (String word : LEAKS) {
                if (text.contains(word)) {
                    return word + "' in the " + place.getKey() + " ('" + abbreviate(place.getValue()) + "')";
                }
            }
        }
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    // ------------------------------------------------------------------ what was written

    /**
     * A fingerprint of what a refused request could have written: a job (count and newest id) and
     * the pauses. Not the jobs' other columns: jobs left by the other test classes may still run
     * while this class does. The control job of
     * {@link #the_checks_see_a_write_and_a_valid_payload_is_stored_exactly_as_sent} (repo
     * {@value #CONTROL_REPO}) is left out unless asked for.
     */
    private static String written() throws Exception {
        return written(false);
    }

    private static String written(boolean withControl) throws Exception {
        String jobs = withControl ? "jobs" : "(SELECT id FROM jobs WHERE repo <> '" + CONTROL_REPO + "') j";
        try (Connection c = DriverManager.getConnection(System.getenv("ORCH_DB_URL"), System.getenv("ORCH_DB_USER"),
                System.getenv("ORCH_DB_PASSWORD"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM " + jobs + "), (SELECT coalesce(max(id), 0) FROM "
                     + jobs + "), (SELECT coalesce(string_agg(scope, ',' ORDER BY scope), '-') FROM claim_pauses)")) {
            rs.next();
            return "jobs=" + rs.getLong(1) + " newest=" + rs.getLong(2) + " pauses=" + rs.getString(3);
        }
    }

    // ------------------------------------------------------------------ raw HTTP/1.1

    record Answer(int status, Map<String, String> headers, String body) {
    }

    /** {@code jobs?limit=1} is under /api; {@code /WEB-INF/web.xml} is from the application's context root. */
    private String apiPath(String path) {
        String root = base.getPath().endsWith("/") ? base.getPath() : base.getPath() + "/";
        return path.startsWith("/") ? root + path.substring(1) : root + "api/" + path;
    }

    private byte[] head(String method, String path, String contentType, long length, boolean chunked,
                        String... headers) {
        StringBuilder h = new StringBuilder(method).append(' ').append(apiPath(path)).append(" HTTP/1.1\r\n")
                .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                .append("Authorization: Bearer ").append(TOKEN).append("\r\n")
                .append("Connection: close\r\n");
        if (contentType != null) {
            h.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (chunked) {
            h.append("Transfer-Encoding: chunked\r\n");
        } else if (length >= 0) {
            h.append("Content-Length: ").append(length).append("\r\n");
        }
        for (String header : headers) {
            h.append(header).append("\r\n");
        }
        return h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private byte[] request(String method, String path, String contentType, byte[] body, String... headers) {
        byte[] head = head(method, path, contentType, body == null ? -1 : body.length, false, headers);
        return body == null ? head : concat(head, body);
    }

    /** Inserts one header line, given as raw bytes, after the request line. */
    private static byte[] withRawHeader(byte[] request, byte[] line) {
        int eol = indexOf(request, new byte[] {'\r', '\n'}, 0) + 2;
        return concat(concat(java.util.Arrays.copyOf(request, eol), concat(line, new byte[] {'\r', '\n'})),
                java.util.Arrays.copyOfRange(request, eol, request.length));
    }

    /**
     * Sends {@code request}, then {@code body} (if any) in pieces, stopping as soon as an answer
     * arrives or the server closes; then reads the answer to the end of the connection.
     */
    private Answer exchange(byte[] request, byte[] body) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            try {
                out.write(request);
                if (body != null) {
                    for (int i = 0; i < body.length && in.available() == 0; i += 65_536) {
                        out.write(body, i, Math.min(65_536, body.length - i));
                    }
                }
                out.flush();
            } catch (IOException e) {
                // the server stopped reading and closed: its answer is what counts
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[65_536];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (IOException e) {
                if (got.size() == 0) {
                    throw e;
                }
            }
            return parse(got.toByteArray());
        }
    }

    private static Answer parse(byte[] raw) {
        int end = indexOf(raw, new byte[] {'\r', '\n', '\r', '\n'}, 0);
        if (end < 0) {
            return new Answer(-1, Map.of(), new String(raw, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        }
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(b, new byte[] {'\r', '\n'}, i);
            int size = Integer.parseInt(new String(b, i, eol - i, StandardCharsets.ISO_8859_1).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(b, eol + 2, size);
            i = eol + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] jsonWithRawBytes(int... bytes) {
        byte[] raw = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            raw[i] = (byte) bytes[i];
        }
        return concat(concat(utf8("{\"agent\": \"echo\", \"repo\": \"r\", \"payload\": \"x"), raw), utf8("y\"}"));
    }

    /** A valid job whose payload string makes the body about {@code size} bytes long. */
    private static byte[] bigJob(int size) {
        return utf8("{\"agent\": \"echo\", \"repo\": \"hostile\", \"payload\": \"" + "a".repeat(size) + "\"}");
    }
}
