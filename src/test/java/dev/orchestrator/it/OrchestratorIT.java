package dev.orchestrator.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.job.Job;
import dev.orchestrator.domain.job.JobStatus;
import dev.orchestrator.domain.job.NewJob;
import dev.orchestrator.service.JobControl;
import dev.orchestrator.testing.Processes;
import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.UserTransaction;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.io.StringReader;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The deployed WAR on Payara Micro against real PostgreSQL: start-up migration, the entity
 * listener inside EclipseLink, and the REST API end to end with real agent processes.
 * One class (one server boot) on purpose: each boot costs tens of seconds.
 */
@ExtendWith(ArquillianExtension.class)
class OrchestratorIT {
    /** The integration tests\' admin token (ORCH_API_TOKEN, set by Failsafe). */
    static final String BEARER = "Bearer " + System.getenv("ORCH_API_TOKEN");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Deployment
    static WebArchive deployment() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("orch.war")))
                .addClasses(OrchestratorIT.class, dev.orchestrator.testing.Processes.class);
    }

    @ArquillianResource
    URL base;

    @PersistenceContext(unitName = "orchestrator")
    EntityManager em;

    @Resource
    UserTransaction utx;

    @Inject
    JobControl control;

    @Resource(lookup = "java:app/jdbc/orchestrator")
    DataSource queueDataSource;

    // ------------------------------------------------------------------ in the container

    @Test
    void the_schema_is_migrated_at_start_up() throws Exception {
        try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version, success FROM flyway_schema_history "
                     + "WHERE version IS NOT NULL ORDER BY installed_rank")) {
            assertTrue(rs.next());
            assertEquals("1", rs.getString(1));
            assertTrue(rs.getBoolean(2));
        }
        try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_constraint WHERE conname = 'jobs_queued_owns_no_run'")) {
            rs.next();
            assertEquals(1, rs.getInt(1));
        }
    }

    @Test
    void the_entity_listener_clears_run_ownership_of_a_persisted_queued_job() throws Exception {
        utx.begin();
        try {
            Job job = Job.enqueue(new NewJob("echo", new RepoName("listener"), "{}", 0, 1, List.of()), OffsetDateTime.now(), null);
            poison(job, "pid", 35L);
            poison(job, "runId", 759L);
            em.persist(job);
            em.flush();
            Object[] row = ownership(job.id());
            assertNull(row[0], "run_id");
            assertNull(row[1], "pid");
            assertNull(row[2], "started_at");
        } finally {
            utx.rollback();
        }
    }

    @Test
    void the_entity_listener_clears_run_ownership_when_an_update_makes_a_job_queued() throws Exception {
        long id;
        try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO jobs (agent, repo, status, run_id, pid, started_at, claimed_by, available_at, "
                    + "created_at, updated_at) VALUES ('echo', 'listener', 'running', 760, 42, now(), 'gone-node', "
                    + "now(), now(), now())");
            try (ResultSet rs = s.executeQuery("SELECT max(id) FROM jobs")) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        try {
            utx.begin();
            try {
                Job job = em.find(Job.class, id);
                poison(job, "status", JobStatus.QUEUED); // a buggy entity-managed requeue that forgets ownership
                em.flush(); // without the listener the CHECK constraint would refuse this UPDATE
                Object[] row = ownership(id);
                assertNull(row[0], "run_id");
                assertNull(row[1], "pid");
                assertNull(row[2], "started_at");
                assertNull(row[3], "claimed_by");
            } finally {
                utx.rollback();
            }
        } finally {
            try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("DELETE FROM jobs WHERE id = " + id);
            }
        }
    }

    @Test
    void a_retry_in_the_container_releases_the_finished_runs_ownership_through_the_entity_listener()
            throws Exception {
        long id;
        try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement()) {
            // held by a pause so that the live node does not claim it once it is queued again
            s.execute("INSERT INTO claim_pauses (scope, paused_at) VALUES ('repo:retry-hook', now())");
            s.execute("INSERT INTO jobs (agent, repo, status, run_id, pid, started_at, claimed_by, finished_at, "
                    + "attempts, max_attempts, available_at, created_at, updated_at) VALUES ('echo', 'retry-hook', "
                    + "'failed', 761, 43, now(), 'gone-node', now(), 1, 1, now(), now(), now())");
            try (ResultSet rs = s.executeQuery("SELECT max(id) FROM jobs")) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        try {
            assertEquals(new JobControl.Answer(JobControl.Result.DONE, JobStatus.QUEUED), control.retry(id, dev.orchestrator.domain.access.Caller.system("it-operator")));
            try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT status, run_id, pid, started_at, claimed_by, attempts "
                         + "FROM jobs WHERE id = " + id)) {
                assertTrue(rs.next());
                assertEquals("queued", rs.getString("status"));
                assertNull(rs.getObject("run_id"), "run_id");
                assertNull(rs.getObject("pid"), "pid");
                assertNull(rs.getObject("started_at"), "started_at");
                assertNull(rs.getObject("claimed_by"), "claimed_by");
                assertEquals(0, rs.getInt("attempts"));
            }
        } finally {
            try (Connection c = queueDataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("DELETE FROM jobs WHERE id = " + id);
                s.execute("DELETE FROM claim_pauses WHERE scope = 'repo:retry-hook'");
            }
        }
    }

    private Object[] ownership(long id) {
        return (Object[]) em.createNativeQuery("SELECT run_id, pid, started_at, claimed_by FROM jobs WHERE id = ?1")
                .setParameter(1, id)
                .getSingleResult();
    }

    private static void poison(Job job, String field, Object value) throws Exception {
        Field f = Job.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(job, value);
    }

    // ------------------------------------------------------------------ over HTTP

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(api(path)).header("Authorization", BEARER).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(api(path)).header("Authorization", BEARER).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI api(String path) {
        return URI.create(base.toString().replaceAll("/$", "") + "/api/" + path);
    }

    private static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    private JsonObject awaitJob(long id, String status) {
        JsonObject[] last = new JsonObject[1];
        await().atMost(WAIT).until(() -> {
            last[0] = json(get("jobs/" + id));
            return status.equals(last[0].getString("status"));
        });
        return last[0];
    }

    @Test
    @RunAsClient
    void an_enqueued_job_runs_its_agent_and_finishes_done_with_its_run_and_log() throws Exception {
        HttpResponse<String> created = post("jobs", "application/json",
                "{\"agent\": \"echo\", \"repo\": \"it-repo\", \"payload\": {\"task\": \"round trip\"}}");

        assertEquals(201, created.statusCode(), created.body());
        JsonObject body = json(created);
        long id = body.getJsonNumber("id").longValue();
        assertTrue(created.headers().firstValue("Location").orElseThrow().endsWith("/api/jobs/" + id));
        assertEquals("echo", body.getString("agent"));
        assertTrue(body.containsKey("run_id"), "snake_case fields, nulls included");
        assertEquals(JsonValue.NULL, body.get("finished_at"));

        JsonObject done = awaitJob(id, "done");
        assertEquals(0, done.getInt("attempts"));
        assertEquals("round trip", done.getJsonObject("payload").getString("task"));
        List<JsonObject> runs = done.getJsonArray("runs").getValuesAs(JsonObject.class);
        assertEquals(1, runs.size());
        JsonObject run = runs.get(0);
        assertEquals(0, run.getInt("exit_code"));
        assertEquals("done", run.getString("outcome"));
        assertEquals(1, run.getInt("attempt"));
        assertFalse(run.isNull("pid"));
        assertFalse(run.isNull("node"));
        assertEquals(run.getJsonNumber("id").longValue(), done.getJsonNumber("run_id").longValue());
        Path log = Path.of(System.getenv("ORCH_DATA_DIR"), "runs", "" + id, "" + run.getJsonNumber("id"),
                "output.log");
        String output = Files.readString(log);
        assertTrue(output.contains("attempt=1 repo=it-repo"), output);
        assertTrue(output.contains("payload={\"task\":\"round trip\"}"), output);
    }

    @Test
    @RunAsClient
    void a_failing_agent_is_retried_then_failed_with_its_error() throws Exception {
        HttpResponse<String> created = post("jobs", "application/json",
                "{\"agent\": \"fail\", \"repo\": \"it-repo\", \"max_attempts\": 2}");
        assertEquals(201, created.statusCode(), created.body());
        long id = json(created).getJsonNumber("id").longValue();

        JsonObject failed = awaitJob(id, "failed");

        assertEquals(2, failed.getInt("attempts"));
        assertTrue(failed.getString("error").contains("exit code 3"), failed.getString("error"));
        assertTrue(failed.getString("error").contains("it broke"), failed.getString("error"));
        List<JsonObject> runs = failed.getJsonArray("runs").getValuesAs(JsonObject.class);
        assertEquals(List.of("retried", "failed"), runs.stream().map(r -> r.getString("outcome")).toList());
    }

    @Test
    @RunAsClient
    void bad_input_is_refused_with_400_naming_the_field_and_nothing_is_written() throws Exception {
        long before = totalJobs();
        String[][] cases = {
            {"{\"agent\": \"nope\", \"repo\": \"r\"}", "agent"},
            {"{\"repo\": \"r\"}", "agent"},
            {"{\"agent\": \"echo\", \"repo\": \"../../etc\"}", "repo"},
            {"{\"agent\": \"echo\", \"repo\": \"a/b\"}", "repo"},
            {"{\"agent\": \"echo\", \"repo\": \"r\", \"priority\": \"high\"}", "priority"},
            {"{\"agent\": \"echo\", \"repo\": \"r\", \"max_attempts\": 0}", "max_attempts"},
            {"{\"agent\": \"echo\", \"repo\": \"r\", \"max_attempts\": 1.5}", "max_attempts"},
            {"{\"agent\": \"echo\", \"repo\": \"r\", \"command\": [\"rm\", \"-rf\"]}", "command"},
            {"{\"agent\": \"echo\", \"repo\": ", null},
            {"[]", null},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = post("jobs", "application/json", c[0]);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json"));
            JsonObject p = json(r);
            assertEquals(List.of("type", "title", "status", "detail", "field"), List.copyOf(p.keySet()),
                    "the members in RFC 9457's order, as the servlet filters write them: " + r.body());
            assertEquals(400, p.getInt("status"));
            assertFalse(p.getString("detail").isBlank());
            if (c[1] == null) {
                assertTrue(p.isNull("field"), r.body());
            } else {
                assertEquals(c[1], p.getString("field"), r.body());
            }
        }
        assertEquals(415, post("jobs", "text/plain", "agent=echo").statusCode());
        assertEquals(before, totalJobs(), "nothing was written");
    }

    @Test
    @RunAsClient
    void an_unknown_job_is_404_as_a_problem_document() throws Exception {
        HttpResponse<String> r = get("jobs/987654321");
        assertEquals(404, r.statusCode());
        assertTrue(json(r).getString("detail").contains("987654321"));
        assertEquals(404, get("jobs/not-a-number").statusCode());
    }

    @Test
    @RunAsClient
    void the_queue_overview_shows_counts_capacity_running_jobs_and_the_reaper() throws Exception {
        HttpResponse<String> r = get("queue");
        assertEquals(200, r.statusCode());
        JsonObject q = json(r);
        JsonObject counts = q.getJsonObject("counts");
        for (String s : List.of("queued", "running", "done", "failed", "cancelled")) {
            assertNotNull(counts.getJsonNumber(s), s);
        }
        assertEquals(2, q.getInt("max_concurrency"));
        assertNotNull(q.getJsonArray("running"));
        JsonObject reaper = q.getJsonObject("reaper");
        for (String step : List.of("reaper", "sanitize", "liveness", "lease_reclaim", "timeout_backstop")) {
            assertTrue(reaper.getJsonObject("enabled").getBoolean(step), step);
        }
        for (String reason : List.of("dead_process", "pid_reused", "spawn_grace_expired", "lease_expired", "timeout")) {
            assertNotNull(reaper.getJsonObject("reaped_total").getJsonNumber(reason), reason);
        }
        for (String field : List.of("impossible_queued_total", "last_impossible_queued", "ticks_total", "errors_total",
                "last_tick_at", "last_tick_ms", "orphans_killed_total", "finished_from_exit_file_total",
                "recovered_at_startup")) {
            assertTrue(reaper.containsKey(field), field);
        }
        assertFalse(reaper.getJsonObject("node").getBoolean("fenced"));
        assertTrue(q.getJsonObject("gates").getBoolean("serial"));
        assertTrue(q.getJsonObject("gates").getBoolean("dependencies"));
        assertFalse(q.getJsonObject("paused").getBoolean("all"));
    }

    private HttpResponse<String> post(String path, String body, String headerName, String headerValue)
            throws Exception {
        return http.send(HttpRequest.newBuilder(api(path)).header("Authorization", BEARER).header("Content-Type", "application/json")
                .header(headerName, headerValue).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postEmpty(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(api(path)).header("Authorization", BEARER).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @RunAsClient
    void the_same_idempotency_key_returns_the_same_job_and_a_different_request_under_it_is_refused()
            throws Exception {
        String body = "{\"agent\": \"echo\", \"repo\": \"idem\", \"payload\": {\"n\": 1}}";
        HttpResponse<String> first = post("jobs", body, "Idempotency-Key", "order-42");
        HttpResponse<String> again = post("jobs", body, "Idempotency-Key", "order-42");
        HttpResponse<String> other = post("jobs", body.replace("1}", "2}"), "Idempotency-Key", "order-42");

        assertEquals(201, first.statusCode(), first.body());
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(json(first).getJsonNumber("id"), json(again).getJsonNumber("id"));
        assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(""));
        assertEquals(409, other.statusCode(), other.body());
        assertEquals(400, post("jobs", body, "Idempotency-Key", "has space").statusCode());
    }

    @Test
    @RunAsClient
    void pause_cancel_retry_and_dependencies_over_http() throws Exception {
        assertEquals(200, postEmpty("queue/pause?repo=held").statusCode());
        JsonObject q = json(get("queue"));
        assertTrue(q.getJsonObject("paused").getJsonArray("repos").toString().contains("held"));
        long dep = json(post("jobs", "application/json", "{\"agent\": \"echo\", \"repo\": \"held\"}"))
                .getJsonNumber("id").longValue();
        HttpResponse<String> dependant = post("jobs", "application/json",
                "{\"agent\": \"echo\", \"repo\": \"other\", \"depends_on\": [" + dep + "]}");
        assertEquals(201, dependant.statusCode(), dependant.body());
        long dependantId = json(dependant).getJsonNumber("id").longValue();
        assertEquals("[" + dep + "]", json(dependant).getJsonArray("depends_on").toString());
        HttpResponse<String> unknown = post("jobs", "application/json",
                "{\"agent\": \"echo\", \"repo\": \"other\", \"depends_on\": [987654321]}");
        assertEquals(400, unknown.statusCode());
        assertEquals("depends_on", json(unknown).getString("field"));

        HttpResponse<String> cancelled = postEmpty("jobs/" + dep + "/cancel");
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertEquals("cancelled", json(cancelled).getString("status"));
        await().atMost(WAIT).until(() -> "cancelled".equals(json(get("jobs/" + dependantId)).getString("status")));
        assertEquals(409, postEmpty("jobs/" + dep + "/cancel").statusCode());
        assertEquals(404, postEmpty("jobs/987654321/cancel").statusCode());

        HttpResponse<String> retried = postEmpty("jobs/" + dep + "/retry");
        assertEquals(200, retried.statusCode(), retried.body());
        assertEquals("queued", json(retried).getString("status"));
        assertEquals(409, postEmpty("jobs/" + dep + "/retry").statusCode());
        assertEquals(200, postEmpty("queue/resume?repo=held").statusCode());
        awaitJob(dep, "done");
        assertEquals(400, postEmpty("queue/pause?repo=../x").statusCode());
    }

    @Test
    @RunAsClient
    void a_running_job_is_cancelled_over_http_and_its_process_killed() throws Exception {
        long id = json(post("jobs", "application/json", "{\"agent\": \"sleepy\", \"repo\": \"sleepy\"}"))
                .getJsonNumber("id").longValue();
        await().atMost(WAIT).until(() -> !json(get("jobs/" + id)).isNull("pid"));
        long pid = json(get("jobs/" + id)).getJsonNumber("pid").longValue();

        HttpResponse<String> r = postEmpty("jobs/" + id + "/cancel");

        assertTrue(r.statusCode() == 202 || r.statusCode() == 200, r.body());
        JsonObject done = awaitJob(id, "cancelled");
        assertEquals("cancelled", done.getJsonArray("runs").getJsonObject(0).getString("outcome"));
        await().atMost(WAIT).until(() -> Processes.gone(pid));
    }

    @Test
    @RunAsClient
    void jobs_are_listed_newest_first_with_filters_and_keyset_pages_and_a_runs_log_is_served() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(201, post("jobs", "application/json", "{\"agent\": \"echo\", \"repo\": \"listed\"}")
                    .statusCode());
        }
        JsonObject page1 = json(get("jobs?repo=listed&limit=2"));
        List<JsonObject> jobs1 = page1.getJsonArray("jobs").getValuesAs(JsonObject.class);
        assertEquals(2, jobs1.size());
        assertTrue(jobs1.get(0).getJsonNumber("id").longValue() > jobs1.get(1).getJsonNumber("id").longValue());
        long cursor = page1.getJsonNumber("next_cursor").longValue();
        JsonObject page2 = json(get("jobs?repo=listed&limit=2&cursor=" + cursor));
        assertEquals(1, page2.getJsonArray("jobs").size());
        assertTrue(page2.isNull("next_cursor"));
        assertEquals(400, get("jobs?status=paused").statusCode());
        assertEquals(400, get("jobs?limit=0").statusCode());
        assertEquals(400, get("jobs?limit=4294967297").statusCode(), "a limit that would wrap to 1 as an int");

        long last = jobs1.get(0).getJsonNumber("id").longValue();
        JsonObject done = awaitJob(last, "done");
        long runId = done.getJsonNumber("run_id").longValue();
        HttpResponse<String> log = get("runs/" + runId + "/log?tail=1");
        assertEquals(200, log.statusCode());
        assertTrue(log.body().startsWith("payload="), log.body());
        assertEquals(404, get("runs/987654321/log").statusCode());
    }

    // ------------------------------------------------------------------ live log streams (Server-Sent Events)

    /** One Server-Sent Event as the client saw it. */
    record Sse(String name, String id, String data) {
    }

    /** Opens a log stream; the caller reads events with {@link #next} and closes the stream. */
    private BufferedReader openStream(long runId, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(api("runs/" + runId + "/log/stream"))
                .header("Authorization", BEARER).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        return new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    /** The next event, or null at the end of the stream (data lines joined with newlines, as SSE says). */
    private static Sse next(BufferedReader in) throws Exception {
        String name = "message";
        String id = null;
        List<String> data = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    return new Sse(name, id, String.join("\n", data));
                }
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
            switch (field) {
                case "event" -> name = value;
                case "id" -> id = value;
                case "data" -> data.add(value);
                default -> { } // comments and unknown fields
            }
        }
        return null;
    }

    private JsonObject awaitRunning(long jobId) {
        JsonObject[] last = new JsonObject[1];
        await().atMost(WAIT).until(() -> {
            last[0] = json(get("jobs/" + jobId));
            return "running".equals(last[0].getString("status")) && !last[0].isNull("run_id");
        });
        return last[0];
    }

    @Test
    @RunAsClient
    void a_runs_log_streams_live_then_ends_with_the_outcome_and_a_reconnect_resumes_after_its_last_event_id()
            throws Exception {
        long id = json(post("jobs", "application/json",
                "{\"agent\": \"talk\", \"repo\": \"sse-live\", \"max_attempts\": 1}")).getJsonNumber("id").longValue();
        long runId = awaitRunning(id).getJsonNumber("run_id").longValue();

        Sse first;
        try (BufferedReader stream = openStream(runId, null)) {
            first = next(stream);
        } // the client goes away after one event
        assertNotNull(first);
        assertEquals("log", first.name());
        assertTrue(first.data().startsWith("line 1 é€\n"), first.data());
        assertEquals("running", json(get("jobs/" + id)).getString("status"), "the first lines arrive while it runs");

        StringBuilder text = new StringBuilder(first.data());
        long offset = Long.parseLong(first.id());
        assertEquals(text.toString().getBytes(StandardCharsets.UTF_8).length, offset, "ids are byte offsets");
        Sse end;
        try (BufferedReader stream = openStream(runId, first.id())) {
            Sse e;
            while ((e = next(stream)) != null && e.name().equals("log")) {
                long to = Long.parseLong(e.id());
                assertTrue(to > offset, "offsets only grow: " + offset + " then " + to);
                text.append(e.data());
                offset = to;
                assertEquals(text.toString().getBytes(StandardCharsets.UTF_8).length, offset, e.toString());
            }
            end = e;
            assertNull(next(stream), "the server closes the stream after the end event");
        }
        assertNotNull(end, "an end event");
        assertEquals("end", end.name());
        JsonObject outcome = Json.createReader(new StringReader(end.data())).readObject();
        assertEquals("failed", outcome.getString("outcome"));
        assertEquals(3, outcome.getInt("exit_code"));
        assertEquals(runId, outcome.getJsonNumber("run_id").longValue());
        Path log = Path.of(System.getenv("ORCH_DATA_DIR"), "runs", "" + id, "" + runId, "output.log");
        String whole = Files.readString(log);
        assertEquals(whole, text.toString(), "resumed by Last-Event-ID: nothing missed, nothing repeated");
        assertEquals(Files.size(log), outcome.getJsonNumber("log_bytes").longValue());
        assertEquals("line 1 é€\nline 2 é€\nline 3 é€\nline 4 é€\nline 5 é€\n", whole);

        // a finished run streams from any offset to its end event at once
        try (BufferedReader stream = openStream(runId, null)) {
            Sse all = next(stream);
            assertEquals(whole, all.data());
            assertEquals("end", next(stream).name());
        }
        assertEquals(400, get("runs/" + runId + "/log/stream?from=-1").statusCode());
        HttpResponse<String> beyond = get("runs/" + runId + "/log/stream?from=" + (Files.size(log) + 1));
        assertEquals(400, beyond.statusCode());
        assertTrue(beyond.body().contains("beyond the end of the log"), beyond.body());
        assertEquals(404, get("runs/987654321/log/stream").statusCode());

        // a run whose log is not on this node: the answer names the node it ran on
        String node = json(get("jobs/" + id)).getJsonArray("runs").getJsonObject(0).getString("node");
        Files.delete(log);
        HttpResponse<String> elsewhere = get("runs/" + runId + "/log/stream");
        assertEquals(404, elsewhere.statusCode());
        assertTrue(elsewhere.body().contains("ran on node " + node), elsewhere.body());
    }

    private double metric(String name) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.toURI().resolve("/metrics"))
                .header("Authorization", BEARER).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith(name + "{")).mapToDouble(l ->
                Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    @RunAsClient
    void a_log_stream_whose_client_reads_nothing_is_dropped_instead_of_buffered() throws Exception {
        long id = json(post("jobs", "application/json", "{\"agent\": \"big\", \"repo\": \"sse-slow\"}"))
                .getJsonNumber("id").longValue();
        long runId = awaitRunning(id).getJsonNumber("run_id").longValue();
        Path log = Path.of(System.getenv("ORCH_DATA_DIR"), "runs", "" + id, "" + runId, "output.log");
        await().atMost(WAIT).until(() -> Files.size(log) >= 32L * 1024 * 1024);
        double droppedBefore = metric("orchestrator_sse_dropped");

        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setReceiveBufferSize(4096);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + base.getPath().replaceAll("/$", "") + "/api/runs/" + runId + "/log/stream HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\nAuthorization: " + BEARER
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(WAIT).until(() -> metric("orchestrator_sse_streams") >= 1);
            // never read: the socket's buffers fill, the server's one event in flight cannot complete
            await().atMost(WAIT).until(() -> metric("orchestrator_sse_dropped") > droppedBefore);
            await().atMost(WAIT).until(() -> metric("orchestrator_sse_streams") == 0);
        }
        postEmpty("jobs/" + id + "/cancel"); // frees its slot if it still sleeps (409 if it has ended: fine)
    }

    /** Opens GET /api/events (with {@code query}) and waits until the server holds the stream. */
    private BufferedReader openEvents(String query, String lastEventId) throws Exception {
        double before = metric("orchestrator_sse_event_streams");
        HttpRequest.Builder b = HttpRequest.newBuilder(api("events" + query))
                .header("Authorization", BEARER).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        // a client of its own: a stream given up half-way must not leave its connection in the shared pool
        java.util.concurrent.CompletableFuture<HttpResponse<InputStream>> response =
                HttpClient.newHttpClient().sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        // the headers may wait for the first event: the stream counts as open once the server registered it
        await().atMost(WAIT).until(() -> response.isDone() || metric("orchestrator_sse_event_streams") > before);
        HttpResponse<InputStream> r = response.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        return new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    /** The next {@code n} events of the stream (keep-alives skipped). */
    private static List<Sse> events(BufferedReader in, int n) throws Exception {
        List<Sse> out = new ArrayList<>();
        while (out.size() < n) {
            Sse e = next(in);
            assertNotNull(e, "the stream ended after " + out);
            if (!e.name().equals("keep-alive")) {
                out.add(e);
            }
        }
        return out;
    }

    private static JsonObject data(Sse e) {
        return Json.createReader(new StringReader(e.data())).readObject();
    }

    @Test
    @RunAsClient
    void job_transitions_stream_as_events_and_a_reconnect_by_last_event_id_misses_and_repeats_nothing()
            throws Exception {
        BufferedReader quiet = openEvents("?repo=ev-quiet", null); // nothing ever happens there: keep-alives only
        List<Sse> seen = new ArrayList<>();
        long id;
        try (BufferedReader stream = openEvents("?repo=ev-live", null)) {
            id = json(post("jobs", "application/json", "{\"agent\": \"echo\", \"repo\": \"ev-live\"}"))
                    .getJsonNumber("id").longValue();
            seen.addAll(events(stream, 2));
        } // a forced disconnect in the middle of the job's life
        assertEquals(List.of("enqueued", "claimed"), seen.stream().map(Sse::name).toList());
        try (BufferedReader stream = openEvents("?repo=ev-live", seen.get(1).id())) {
            seen.addAll(events(stream, 2));
        }
        assertEquals(List.of("enqueued", "claimed", "started", "finished"), seen.stream().map(Sse::name).toList(),
                "resumed after the last event: nothing missed, nothing repeated");
        for (Sse e : seen) {
            JsonObject d = data(e);
            assertEquals(id, d.getJsonNumber("job_id").longValue(), e.toString());
            assertEquals(e.name(), d.getString("type"));
            assertEquals(e.id(), d.getString("id"));
            assertEquals("ev-live", d.getString("repo"));
        }
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(dev.orchestrator.domain.event.EventPosition.parse(seen.get(i).id()).isAfter(
                    dev.orchestrator.domain.event.EventPosition.parse(seen.get(i - 1).id())), seen.toString());
        }
        JsonObject finished = data(seen.get(3));
        assertEquals("done", finished.getString("status"));
        JsonObject job = json(get("jobs/" + id));
        assertEquals(job.getJsonArray("runs").getJsonObject(0).getJsonNumber("id").longValue(),
                finished.getJsonNumber("run_id").longValue());
        assertEquals(job.getJsonArray("runs").getJsonObject(0).getString("node"), finished.getString("node"));

        // another node's transitions reach this node's streams through the shared table: written here with SQL
        // as that node's statements write them, in a repo this node may not claim from (paused)
        assertEquals(200, postEmpty("queue/pause?repo=ev-other").statusCode());
        long other;
        try (BufferedReader stream = openEvents("?repo=ev-other", seen.get(3).id());
             Connection c = java.sql.DriverManager.getConnection(System.getenv("ORCH_DB_URL"),
                     System.getenv("ORCH_DB_USER"), System.getenv("ORCH_DB_PASSWORD"));
             Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("INSERT INTO jobs (agent, repo, available_at, created_at, updated_at) "
                    + "VALUES ('echo', 'ev-other', now(), now(), now()) RETURNING id")) {
                rs.next();
                other = rs.getLong(1);
            }
            s.executeUpdate("UPDATE jobs SET status = 'running', claimed_by = 'other-node:1:feed', started_at = now(), "
                    + "updated_at = now() WHERE id = " + other);
            s.executeUpdate("UPDATE jobs SET status = 'done', finished_at = now(), updated_at = now() WHERE id = "
                    + other);
            List<Sse> fromOther = events(stream, 4);
            assertEquals(List.of("paused", "enqueued", "claimed", "finished"),
                    fromOther.stream().map(Sse::name).toList());
            assertEquals("repo:ev-other", data(fromOther.get(0)).getString("scope"));
            assertEquals("other-node:1:feed", data(fromOther.get(2)).getString("node"));
            assertEquals(other, data(fromOther.get(3)).getJsonNumber("job_id").longValue());
        }
        assertEquals(200, postEmpty("queue/resume?repo=ev-other").statusCode());

        // the quiet stream's keep-alive (15 s after it opened) carries its position, past everything above
        try (quiet) {
            Sse keepAlive = next(quiet);
            assertEquals("keep-alive", keepAlive.name());
            assertEquals(keepAlive.id(), data(keepAlive).getString("id"));
            assertTrue(dev.orchestrator.domain.event.EventPosition.parse(keepAlive.id()).isAfter(
                    dev.orchestrator.domain.event.EventPosition.parse(seen.get(3).id())), keepAlive.id());
        }

        // bad input: the field is named, nothing is opened
        HttpResponse<String> bad = get("events?job=0");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("\"job\""), bad.body());
        assertEquals(400, get("events?repo=../etc").statusCode());
        assertEquals(400, get("events?agent=%20x").statusCode());
        for (String lastId : List.of("12", "x-1", "999999999999-1")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(api("events")).header("Authorization", BEARER)
                    .header("Last-Event-ID", lastId).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), lastId + ": " + r.body());
            assertTrue(r.body().contains("Last-Event-ID"), r.body());
        }
    }

    private long totalJobs() throws Exception {
        JsonObject counts = json(get("queue")).getJsonObject("counts");
        return counts.values().stream().mapToLong(v -> ((jakarta.json.JsonNumber) v).longValue()).sum();
    }

    // ------------------------------------------------------------------ health (open: no token)

    private JsonObject health(String path, int expectedStatus) throws Exception {
        // the probes live at the server's root, whatever the WAR's context root
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.toURI().resolve("/health/" + path)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, r.statusCode(), r.body());
        return json(r);
    }

    private static JsonObject check(JsonObject health, String name) {
        return health.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(c -> name.equals(c.getString("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + health));
    }

    /** A data value as text, whether the server renders it as a JSON string, number or boolean. */
    private static String data(JsonObject check, String key) {
        JsonValue v = check.getJsonObject("data").get(key);
        assertNotNull(v, key + " in " + check);
        return v instanceof jakarta.json.JsonString s ? s.getString() : v.toString();
    }

    @Test
    @RunAsClient
    void readiness_checks_the_queue_pool_the_schema_and_the_node_and_liveness_the_dispatcher() throws Exception {
        JsonObject ready = health("ready", 200);
        assertEquals("UP", ready.getString("status"));
        JsonObject database = check(ready, "orchestrator-database");
        assertEquals("UP", database.getString("status"));
        assertEquals("connection valid", data(database, "queue_pool"));
        JsonObject schema = check(ready, "orchestrator-schema");
        assertEquals("UP", schema.getString("status"));
        assertEquals("0", data(schema, "pending_migrations"));
        assertFalse(data(schema, "version").isBlank() || "null".equals(data(schema, "version")), schema.toString());
        JsonObject node = check(ready, "orchestrator-node");
        assertEquals("UP", node.getString("status"));
        assertEquals("true", data(node, "dispatching"));
        assertEquals("false", data(node, "fenced"));
        assertFalse(data(node, "node").isBlank());

        JsonObject live = health("live", 200);
        JsonObject dispatcher = check(live, "orchestrator-dispatcher");
        assertEquals("UP", dispatcher.getString("status"));
        assertEquals("alive", data(dispatcher, "dispatcher_thread"));
        assertTrue(live.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .noneMatch(c -> c.getString("name").equals("orchestrator-database")), "readiness checks stay out of liveness");
    }

    @Test
    @RunAsClient
    void the_wedge_alarm_is_a_probe_of_its_own_and_not_part_of_readiness_by_default() throws Exception {
        HttpResponse<String> probe = http.send(HttpRequest.newBuilder(base.toURI().resolve("wedge")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, probe.statusCode(), probe.body());
        JsonObject wedge;
        try (jakarta.json.JsonReader reader = jakarta.json.Json.createReader(new java.io.StringReader(probe.body()))) {
            wedge = reader.readObject();
        }
        assertEquals("UP", wedge.getString("status"));
        JsonObject alarm = check(wedge, "orchestrator-wedge");
        assertEquals("UP", alarm.getString("status"));
        assertEquals("300", data(alarm, "threshold_seconds"));
        assertFalse(data(alarm, "reason").isBlank());

        JsonObject ready = health("ready", 200);
        assertTrue(ready.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .noneMatch(c -> c.getString("name").equals("orchestrator-wedge")), ready.toString());
        assertFalse(check(ready, "orchestrator-node").getJsonObject("data").containsKey("wedged"),
                "ORCH_WEDGE_ALARM_READINESS is false by default: " + ready);
    }
}
