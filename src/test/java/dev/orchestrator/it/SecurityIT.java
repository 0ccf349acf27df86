package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * Every endpoint against every kind of caller, over HTTP on the deployed WAR: no token, a bad
 * token, a malformed header, each role, and a repo-scoped token. The tokens are those of
 * src/test/resources/it-tokens.json (hashes only) plus ORCH_API_TOKEN (admin). One table, one
 * server boot; a method that lost its {@code @RolesAllowed}, or a path the mechanism does not
 * cover, shows up as a wrong cell.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class SecurityIT {
    static final String ADMIN = System.getenv("ORCH_API_TOKEN");
    static final String READ = "it-read-secret-0123456789";
    static final String SUBMIT = "it-submit-secret-0123456789";
    static final String OPERATE = "it-operate-secret-0123456789";
    static final String SCOPED = "it-scoped-secret-0123456789"; // operate, repos sec-a-*

    /** The callers of the table, by the header they send (null: none). */
    static final Map<String, String> CALLERS = new LinkedHashMap<>();

    static {
        CALLERS.put("none", null);
        CALLERS.put("bad", "Bearer not-a-configured-token-0123456789");
        CALLERS.put("basic", "Basic YWRtaW46YWRtaW4=");
        CALLERS.put("read", "Bearer " + READ);
        CALLERS.put("submit", "Bearer " + SUBMIT);
        CALLERS.put("operate", "Bearer " + OPERATE);
        CALLERS.put("admin", "Bearer " + ADMIN);
        CALLERS.put("scoped", "Bearer " + SCOPED);
    }

    /**
     * At the context root, as in production ({@code mvn -Prun}, {@code asadmin deploy --contextroot /}):
     * only there does the mechanism also guard the server's {@code /metrics}.
     */
    @Deployment
    static WebArchive deployment() {
        return ShrinkWrap.create(WebArchive.class, "ROOT.war")
                .merge(ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("orch.war"))));
    }

    @ArquillianResource
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String path, String authorization, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private long enqueue(String repo) throws Exception {
        HttpResponse<String> r = send("POST", "/api/jobs", "Bearer " + ADMIN,
                "{\"agent\": \"echo\", \"repo\": \"" + repo + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).getJsonNumber("id").longValue();
    }

    private static JsonObject json(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    /** One row: a request and the status each caller gets, in the order of {@link #CALLERS}. */
    record Row(String method, String path, String body, int... statuses) {
    }

    @Test
    void every_endpoint_answers_each_caller_as_its_roles_and_repos_allow() throws Exception {
        long inA = enqueue("sec-a-1");
        long inB = enqueue("sec-b-1");
        await().atMost(Duration.ofSeconds(60)).until(() -> json(send("GET", "/api/jobs/" + inB, "Bearer " + ADMIN,
                null)).getString("status").equals("done"));
        long runOfB = json(send("GET", "/api/jobs/" + inB, "Bearer " + ADMIN, null)).getJsonArray("runs")
                .getJsonObject(0).getJsonNumber("id").longValue();
        String enqueueA = "{\"agent\": \"echo\", \"repo\": \"sec-a-2\"}";
        String enqueueB = "{\"agent\": \"echo\", \"repo\": \"sec-b-2\"}";
        String batchA = "{\"jobs\": [{\"agent\": \"echo\", \"repo\": \"sec-a-3\"}, {\"agent\": \"echo\", "
                + "\"repo\": \"sec-a-4\", \"depends_on_index\": [0]}]}";
        String batchAB = "{\"jobs\": [{\"agent\": \"echo\", \"repo\": \"sec-a-3\"}, {\"agent\": \"echo\", "
                + "\"repo\": \"sec-b-3\"}]}";
        //                                                  none bad basic read submit operate admin scoped
        List<Row> table = List.of(
                new Row("GET", "/api/jobs", null,                 401, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/api/jobs/" + inA, null,          401, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/api/jobs/" + inB, null,          401, 401, 401, 200, 200, 200, 200, 404),
                new Row("GET", "/api/jobs/nope", null,            401, 401, 401, 404, 404, 404, 404, 404),
                new Row("POST", "/api/jobs", enqueueA,            401, 401, 401, 403, 201, 201, 201, 201),
                new Row("POST", "/api/jobs", enqueueB,            401, 401, 401, 403, 201, 201, 201, 403),
                new Row("POST", "/api/jobs/batch", batchA,        401, 401, 401, 403, 201, 201, 201, 201),
                new Row("POST", "/api/jobs/batch", batchAB,       401, 401, 401, 403, 201, 201, 201, 403),
                new Row("POST", "/api/jobs/999999/cancel", null,  401, 401, 401, 403, 403, 404, 404, 404),
                new Row("POST", "/api/jobs/" + inB + "/retry", null, 401, 401, 401, 403, 403, 409, 409, 404),
                new Row("GET", "/api/queue", null,                401, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/api/queue/throughput", null,     401, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/api/nodes", null,                401, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/api/tokens/me", null,            401, 401, 401, 200, 200, 200, 200, 200),
                new Row("POST", "/api/queue/pause?repo=sec-a-9", null, 401, 401, 401, 403, 403, 200, 200, 200),
                new Row("POST", "/api/queue/resume?repo=sec-a-9", null, 401, 401, 401, 403, 403, 200, 200, 200),
                new Row("POST", "/api/queue/pause?repo=sec-b-9", null, 401, 401, 401, 403, 403, 200, 200, 403),
                new Row("POST", "/api/queue/resume?repo=sec-b-9", null, 401, 401, 401, 403, 403, 200, 200, 403),
                new Row("POST", "/api/queue/resume", null,        401, 401, 401, 403, 403, 200, 200, 403),
                new Row("GET", "/api/runs/" + runOfB + "/log", null, 401, 401, 401, 200, 200, 200, 200, 404),
                new Row("GET", "/api/runs/999999/log", null,      401, 401, 401, 404, 404, 404, 404, 404),
                new Row("GET", "/api/runs/" + runOfB + "/log/stream", null, 401, 401, 401, 200, 200, 200, 200, 404),
                new Row("GET", "/api/runs/999999/log/stream", null, 401, 401, 401, 404, 404, 404, 404, 404),
                new Row("GET", "/api/events?job=0", null,         401, 401, 401, 400, 400, 400, 400, 400),
                new Row("GET", "/api/audit", null,                401, 401, 401, 403, 403, 403, 200, 403),
                new Row("GET", "/api/tokens", null,               401, 401, 401, 403, 403, 403, 200, 403),
                new Row("GET", "/api/no-such-thing", null,        401, 401, 401, 404, 404, 404, 404, 404),
                new Row("GET", "/API/jobs", null,                 401, 401, 401, 404, 404, 404, 404, 404),
                new Row("GET", "/metrics", null,                  401, 401, 401, 200, 200, 200, 200, 200));

        List<String> wrong = new ArrayList<>();
        List<String> callers = new ArrayList<>(CALLERS.keySet());
        for (Row row : table) {
            for (int i = 0; i < callers.size(); i++) {
                String who = callers.get(i);
                HttpResponse<String> r = send(row.method(), row.path(), CALLERS.get(who), row.body());
                String cell = row.method() + " " + row.path() + " as " + who;
                if (r.statusCode() != row.statuses()[i]) {
                    wrong.add(cell + ": " + r.statusCode() + " (expected " + row.statuses()[i] + ") " + r.body());
                    continue;
                }
                if (r.statusCode() == 401) {
                    assertThat(r.headers().firstValue("WWW-Authenticate")).as(cell).hasValueSatisfying(v ->
                            assertThat(v).startsWith("Bearer realm=\"orchestrator\""));
                    assertThat(r.headers().firstValue("Content-Type")).as(cell).hasValueSatisfying(v ->
                            assertThat(v).startsWith("application/problem+json"));
                    assertThat(json(r).getInt("status")).as(cell).isEqualTo(401);
                    assertThat(json(r).getString("detail")).as(cell + ": the mechanism's own detail")
                            .containsAnyOf("needs an API token", "must be 'Bearer TOKEN'", "token is not valid");
                    assertThat(r.body()).as(cell + ": the token is never echoed")
                            .doesNotContain("not-a-configured-token").doesNotContain("YWRtaW46YWRtaW4=");
                }
                if (r.statusCode() == 403) {
                    assertThat(r.headers().firstValue("Content-Type")).as(cell).hasValueSatisfying(v ->
                            assertThat(v).startsWith("application/problem+json"));
                    String detail = json(r).getString("detail");
                    if (!who.equals("scoped")) {
                        assertThat(detail).as(cell).containsPattern("lacks the role '(submit|operate|admin)'");
                    }
                }
            }
        }
        assertThat(wrong).as("cells that answered otherwise than the table says").isEmpty();
    }

    @Test
    void no_spelling_of_an_api_path_reaches_the_api_without_a_token() throws Exception {
        for (String path : List.of("/%61pi/jobs", "/%41PI/jobs", "//api//jobs", "/x/../api/queue", "/api/./queue",
                "/api/jobs/", "/api;x=1/queue", "/api/queue;x=1", "/metrics/", "/%6detrics")) {
            HttpResponse<String> r = send("GET", path, null, null);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isNotEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain("\"jobs\"").doesNotContain("\"counts\"")
                    .doesNotContain("# TYPE");
        }
    }

    @Test
    void open_paths_stay_open() throws Exception {
        for (String path : List.of("/health", "/health/live", "/health/ready", "/openapi")) {
            HttpResponse<String> r = send("GET", path, null, null);
            assertThat(r.statusCode()).as(path + ": " + r.body()).isNotIn(401, 403);
        }
    }

    @Test
    void a_job_shows_who_submitted_it_and_refused_control_attempts_are_in_the_audit_trail() throws Exception {
        HttpResponse<String> created = send("POST", "/api/jobs", "Bearer " + SUBMIT,
                "{\"agent\": \"echo\", \"repo\": \"sec-audit\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json(created).getString("submitted_by")).isEqualTo("it-submit");
        long id = json(created).getJsonNumber("id").longValue();

        assertThat(send("POST", "/api/jobs/" + id + "/cancel", null, null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/api/jobs/" + id + "/cancel", "Bearer " + READ, null).statusCode()).isEqualTo(403);
        assertThat(send("POST", "/api/queue/pause?repo=sec-audit", "Bearer " + SUBMIT, null).statusCode())
                .isEqualTo(403);
        assertThat(send("POST", "/api/queue/pause?repo=sec-audit", "Bearer " + OPERATE, null).statusCode())
                .isEqualTo(200);
        assertThat(send("POST", "/api/queue/resume?repo=sec-audit", "Bearer " + OPERATE, null).statusCode())
                .isEqualTo(200);

        HttpResponse<String> trail = send("GET", "/api/audit?target=job:" + id, "Bearer " + ADMIN, null);
        assertThat(trail.statusCode()).as(trail.body()).isEqualTo(200);
        List<String> rows = json(trail).getJsonArray("events").getValuesAs(JsonObject.class).stream()
                .map(e -> e.getString("action") + " " + (e.isNull("actor") ? "-" : e.getString("actor")) + " "
                        + e.getString("result"))
                .toList();
        assertThat(rows).containsExactly("cancel it-read forbidden", "cancel - unauthenticated");
        List<String> pauses = json(send("GET", "/api/audit?target=repo:sec-audit", "Bearer " + ADMIN, null))
                .getJsonArray("events").getValuesAs(JsonObject.class).stream()
                .map(e -> e.getString("action") + " " + e.getString("actor") + " " + e.getString("result"))
                .toList();
        assertThat(pauses).containsExactly("resume it-operate done", "pause it-operate done",
                "pause it-submit forbidden");
        String batch = "{\"jobs\": [{\"agent\": \"echo\", \"repo\": \"sec-audit-batch\"}]}";
        assertThat(send("POST", "/api/jobs/batch", null, batch).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/api/jobs/batch", "Bearer " + READ, batch).statusCode()).isEqualTo(403);
        List<String> batches = json(send("GET", "/api/audit?target=/api/jobs/batch", "Bearer " + ADMIN, null))
                .getJsonArray("events").getValuesAs(JsonObject.class).stream()
                .map(e -> e.getString("action") + " " + (e.isNull("actor") ? "-" : e.getString("actor")) + " "
                        + e.getString("result"))
                .toList();
        assertThat(batches.subList(0, 2)).as("the newest two: the endpoint table's refusals are older")
                .containsExactly("enqueue it-read forbidden", "enqueue - unauthenticated");
        JsonObject one = json(trail).getJsonArray("events").getJsonObject(0);
        assertThat(one.getString("client_address")).isNotBlank();
        assertThat(one.getString("at")).isNotBlank();

        HttpResponse<String> tokens = send("GET", "/api/tokens", "Bearer " + ADMIN, null);
        assertThat(tokens.body()).contains("\"it-scoped\"").contains("sec-a-*")
                .doesNotContain(READ).doesNotContain("6b2ab572311c78548c25b226fdac2a10191981fe50fcc9e819d5a0cd99321345");
    }

    /**
     * The queue's metrics move with real jobs: a success, a permanent failure, a transient failure,
     * a running job, a 401 and a 404, read from {@code /metrics} with a token before and after.
     */
    @Test
    void metrics_move_with_real_jobs_and_errors() throws Exception {
        Map<String, Double> before = scrape();

        long ok = enqueue("met-ok", "echo", "");
        long failed = enqueue("met-fail", "fail", ", \"max_attempts\": 1");
        long flaky = enqueue("met-flaky", "flaky", "");
        await().atMost(Duration.ofSeconds(60)).until(() -> "done".equals(status(ok)) && "failed".equals(status(failed))
                && transientAttempts(flaky) == 1);
        assertThat(send("POST", "/api/jobs/" + flaky + "/cancel", "Bearer " + ADMIN, null).statusCode()).isEqualTo(200);

        long sleepy = enqueue("met-sleepy", "sleepy", "");
        await().atMost(Duration.ofSeconds(30)).until(() -> "running".equals(status(sleepy)));
        Map<String, Double> running = awaitScrape(m -> value(m, "orchestrator_running", "agent=\"sleepy\"") == 1.0);
        assertThat(value(running, "orchestrator_jobs", "status=\"running\"")).isGreaterThanOrEqualTo(1.0);
        // a second job of the busy repo is held by the serial gate: the API names the gate and the running
        // job, and the gauge of queued jobs by gate counts it
        long held = enqueue("met-sleepy", "echo", "");
        JsonObject heldJob = json(send("GET", "/api/jobs/" + held, "Bearer " + ADMIN, null));
        assertThat(heldJob.getJsonArray("waiting_for").toString()).as(heldJob.toString())
                .contains("\"repo_busy\"").contains(Long.toString(sleepy));
        Map<String, Double> waiting = awaitScrape(m -> value(m, "orchestrator_waiting", "gate=\"repo_busy\"") >= 1.0);
        assertThat(value(waiting, "orchestrator_wedge")).as("no wedge while the slot holder is alive").isEqualTo(0.0);
        assertThat(waiting.keySet()).anyMatch(k -> k.startsWith("orchestrator_oldest_claimable_seconds"));
        assertThat(send("POST", "/api/jobs/" + sleepy + "/cancel", "Bearer " + ADMIN, null).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> "cancelled".equals(status(sleepy)));

        assertThat(send("GET", "/api/queue", null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/api/jobs/987654321", "Bearer " + ADMIN, null).statusCode()).isEqualTo(404);

        Map<String, Double> after = awaitScrape(m -> value(m, "orchestrator_running", "agent=\"sleepy\"") == 0.0);
        // echo: other tests of this class run echo jobs too (earlier, but one may still be finishing)
        assertThat(delta(before, after, "orchestrator_claims_total", "agent=\"echo\"")).isGreaterThanOrEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_claims_total", "agent=\"fail\"")).isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_claims_total", "agent=\"sleepy\"")).isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_finishes_total", "agent=\"echo\"", "outcome=\"succeeded\""))
                .isGreaterThanOrEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_finishes_total", "agent=\"fail\"", "outcome=\"failed\""))
                .isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_finishes_total", "agent=\"flaky\"",
                "outcome=\"transient_requeued\"")).isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_finishes_total", "agent=\"sleepy\"", "outcome=\"cancelled\""))
                .isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_failures_total", "agent=\"fail\"", "kind=\"permanent\""))
                .isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_failures_total", "agent=\"flaky\"", "kind=\"transient\""))
                .isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_dispatch_latency_milliseconds_count", "agent=\"fail\""))
                .isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_dispatch_latency_milliseconds_sum", "agent=\"fail\""))
                .isGreaterThanOrEqualTo(0.0).isLessThan(60_000.0);
        assertThat(delta(before, after, "orchestrator_run_duration_milliseconds_count", "agent=\"sleepy\""))
                .isEqualTo(1.0);
        // one sleepy run, cancelled within seconds: sum, max and median are that one run, all in ms
        double ran = delta(before, after, "orchestrator_run_duration_milliseconds_sum", "agent=\"sleepy\"");
        assertThat(ran).isGreaterThan(0.0).isLessThan(30_000.0);
        assertThat(value(after, "orchestrator_run_duration_milliseconds_max", "agent=\"sleepy\"")).isEqualTo(ran);
        assertThat(value(after, "orchestrator_run_duration_milliseconds", "agent=\"sleepy\"", "quantile=\"0.5\""))
                .isEqualTo(ran);
        assertThat(delta(before, after, "orchestrator_http_errors_total", "status=\"401\"")).isEqualTo(1.0);
        assertThat(delta(before, after, "orchestrator_http_errors_total", "status=\"404\"")).isEqualTo(1.0);
        assertThat(value(after, "orchestrator_reaper_ticks", "")).isGreaterThan(0.0);
        assertThat(value(after, "orchestrator_node_fenced", "")).isEqualTo(0.0);
        // wake-ups across nodes run in the container: the listener holds its connection and hears this node's own
        assertThat(value(after, "orchestrator_notify_connected", "")).isEqualTo(1.0);
        assertThat(value(after, "orchestrator_notify_sent", "")).isGreaterThan(0.0);
        assertThat(value(after, "orchestrator_notify_received", "")).isGreaterThan(0.0);
        assertThat(value(after, "orchestrator_notify_send_failures", "")).isEqualTo(0.0);
        assertThat(after).containsKey(after.keySet().stream()
                .filter(k -> k.startsWith("orchestrator_reaper_actions_total{") && k.contains("step=\"liveness\"")
                        && k.contains("reason=\"dead_process\"")).findFirst().orElse("orchestrator_reaper_actions_total"));
    }

    private long enqueue(String repo, String agent, String extra) throws Exception {
        HttpResponse<String> r = send("POST", "/api/jobs", "Bearer " + ADMIN,
                "{\"agent\": \"" + agent + "\", \"repo\": \"" + repo + "\"" + extra + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r).getJsonNumber("id").longValue();
    }

    private String status(long id) throws Exception {
        return json(send("GET", "/api/jobs/" + id, "Bearer " + ADMIN, null)).getString("status");
    }

    private int transientAttempts(long id) throws Exception {
        return json(send("GET", "/api/jobs/" + id, "Bearer " + ADMIN, null)).getInt("transient_attempts");
    }

    private Map<String, Double> awaitScrape(java.util.function.Predicate<Map<String, Double>> ready) {
        java.util.concurrent.atomic.AtomicReference<Map<String, Double>> last = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            last.set(scrape());
            return ready.test(last.get());
        });
        return last.get();
    }

    /** /metrics as series (name with its labels) to value; comments skipped. */
    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = send("GET", "/metrics", "Bearer " + READ, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        Map<String, Double> series = new LinkedHashMap<>();
        for (String line : r.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            series.put(line.substring(0, space).trim(), Double.parseDouble(line.substring(space + 1).trim()));
        }
        return series;
    }

    /** The one series named {@code name} whose labels include all of {@code labels}; 0 if there is none. */
    private static double value(Map<String, Double> series, String name, String... labels) {
        List<Double> found = new ArrayList<>();
        for (Map.Entry<String, Double> e : series.entrySet()) {
            String key = e.getKey();
            String n = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            if (n.equals(name) && java.util.Arrays.stream(labels).allMatch(l -> l.isEmpty() || key.contains(l))) {
                found.add(e.getValue());
            }
        }
        assertThat(found).as(name + " " + List.of(labels) + " in " + series.keySet().stream()
                .filter(k -> k.startsWith("orchestrator")).toList()).hasSizeLessThanOrEqualTo(1);
        return found.isEmpty() ? 0.0 : found.get(0);
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
        return value(after, name, labels) - value(before, name, labels);
    }

    @Test
    void the_dashboard_reads_its_token_the_nodes_and_the_last_hours_throughput() throws Exception {
        JsonObject me = json(send("GET", "/api/tokens/me", "Bearer " + SCOPED, null));
        assertThat(me.getString("name")).isEqualTo("it-scoped");
        assertThat(me.getJsonArray("roles").getValuesAs(jakarta.json.JsonString.class)).extracting(
                jakarta.json.JsonString::getString).containsExactly("read", "submit", "operate");
        assertThat(me.getJsonArray("repos").getString(0)).isEqualTo("sec-a-*");
        assertThat(me.toString()).doesNotContain("sha256", "secret");

        long id = enqueue("sec-a-throughput");
        await().atMost(Duration.ofSeconds(60)).until(() -> json(send("GET", "/api/jobs/" + id, "Bearer " + ADMIN,
                null)).getString("status").equals("done"));
        List<JsonObject> minutes = json(send("GET", "/api/queue/throughput", "Bearer " + ADMIN, null))
                .getJsonArray("minutes").getValuesAs(JsonObject.class);
        assertThat(minutes).hasSize(60);
        assertThat(minutes.stream().mapToLong(m -> m.getJsonNumber("done").longValue()).sum()).isPositive();
        for (int i = 1; i < minutes.size(); i++) {
            assertThat(java.time.Instant.parse(minutes.get(i).getString("minute"))).isEqualTo(
                    java.time.Instant.parse(minutes.get(i - 1).getString("minute")).plusSeconds(60));
        }

        List<JsonObject> nodes = json(send("GET", "/api/nodes", "Bearer " + ADMIN, null)).getJsonArray("nodes")
                .getValuesAs(JsonObject.class);
        JsonObject live = nodes.get(0);
        assertThat(live.isNull("stopped_at")).isTrue();
        assertThat(live.getJsonNumber("heartbeat_age_seconds").doubleValue()).isBetween(0.0, 60.0);
        assertThat(java.time.Instant.parse(live.getString("lease_expires_at"))).isAfter(
                java.time.Instant.parse(live.getString("heartbeat_at")));
        assertThat(live.getJsonNumber("running").longValue()).isNotNegative();
    }

    private double metric(String name) throws Exception {
        return send("GET", "/metrics", "Bearer " + ADMIN, null).body().lines().filter(l -> l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void a_repo_scoped_token_streams_only_the_events_of_its_repos() throws Exception {
        double before = metric("orchestrator_sse_event_streams");
        // a client of its own: a stream given up half-way must not leave its connection in the shared pool
        java.util.concurrent.CompletableFuture<HttpResponse<java.io.InputStream>> response = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + "/api/events"))
                        .header("Authorization", "Bearer " + SCOPED).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        await().atMost(Duration.ofSeconds(60)).until(() -> response.isDone()
                || metric("orchestrator_sse_event_streams") > before);
        long outside = enqueue("sec-b-events");
        long inside = enqueue("sec-a-events");
        HttpResponse<java.io.InputStream> r = response.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> repos = new ArrayList<>();
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            String line;
            long job = -1;
            while (job != inside && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    JsonObject event = Json.createReader(new StringReader(line.substring(6))).readObject();
                    if (event.getString("type").equals("keep-alive")) {
                        continue;
                    }
                    repos.add(event.isNull("repo") ? null : event.getString("repo"));
                    job = event.isNull("job_id") ? -1 : event.getJsonNumber("job_id").longValue();
                }
            }
            assertThat(job).isEqualTo(inside);
        }
        assertThat(repos).as("job " + outside + " of sec-b-events is not in the token's repos")
                .allMatch(repo -> repo == null || repo.startsWith("sec-a-"));
    }

    /** The error answers each operation must document, by operationId (every one is a problem document). */
    static final Map<String, List<String>> DOCUMENTED_ERRORS = Map.ofEntries(
            Map.entry("enqueueJob", List.of("400", "401", "403", "409", "413", "415", "503")),
            Map.entry("enqueueJobs", List.of("400", "401", "403", "409", "413", "415", "503")),
            Map.entry("listJobs", List.of("400", "401", "403", "503")),
            Map.entry("getJob", List.of("401", "403", "404", "503")),
            Map.entry("cancelJob", List.of("401", "403", "404", "409", "503")),
            Map.entry("retryJob", List.of("401", "403", "404", "409", "503")),
            Map.entry("getQueue", List.of("401", "403", "503")),
            Map.entry("pauseClaims", List.of("400", "401", "403", "503")),
            Map.entry("resumeClaims", List.of("400", "401", "403", "503")),
            Map.entry("getRunLog", List.of("400", "401", "403", "404", "503")),
            Map.entry("streamRunLog", List.of("400", "401", "403", "404", "503")),
            Map.entry("streamEvents", List.of("400", "401", "403", "410", "503")),
            Map.entry("listAuditEvents", List.of("400", "401", "403", "503")),
            Map.entry("listTokens", List.of("401", "403")),
            Map.entry("getCurrentToken", List.of("401", "403")),
            Map.entry("listNodes", List.of("401", "403", "503")),
            Map.entry("getThroughput", List.of("401", "403", "503")));

    @Test
    void the_openapi_document_describes_every_operation_its_errors_and_the_bearer_scheme() throws Exception {
        HttpResponse<String> r = send("GET", "/openapi?format=json", null, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject doc = json(r);

        JsonObject scheme = doc.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("bearer");
        assertThat(scheme.getString("type")).isEqualTo("http");
        assertThat(scheme.getString("scheme")).isEqualTo("bearer");
        assertThat(doc.getJsonArray("security").getJsonObject(0).containsKey("bearer")).isTrue();

        Map<String, String> seen = new LinkedHashMap<>();
        JsonObject paths = doc.getJsonObject("paths");
        for (String path : paths.keySet()) {
            assertThat(path).startsWith("/api/");
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.keySet()) {
                JsonObject op = item.getJsonObject(method);
                String where = method.toUpperCase(java.util.Locale.ROOT) + " " + path;
                assertThat(op.containsKey("operationId")).as(where + " has an operationId").isTrue();
                String id = op.getString("operationId");
                assertThat(seen.put(id, where)).as("operationId " + id + " of " + where + " is unique").isNull();
                assertThat(op.getString("summary", "")).as(where + " summary").isNotBlank();
                assertThat(op.getString("description", "")).as(where + " description").isNotBlank();
                assertThat(op.getJsonArray("tags")).as(where + " tags").isNotEmpty();
                assertThat(op.getJsonArray("security").getJsonObject(0).containsKey("bearer")).as(where).isTrue();
                JsonObject responses = op.getJsonObject("responses");
                assertThat(DOCUMENTED_ERRORS).as("a known operation: " + id).containsKey(id);
                List<String> errors = responses.keySet().stream().filter(c -> c.charAt(0) >= '4').sorted().toList();
                assertThat(errors).as(where + " errors").isEqualTo(DOCUMENTED_ERRORS.get(id));
                for (String code : responses.keySet()) {
                    JsonObject answer = responses.getJsonObject(code);
                    assertThat(answer.getString("description", "")).as(where + " " + code).isNotBlank();
                    JsonObject content = answer.getJsonObject("content");
                    String media = code.charAt(0) >= '4' ? "application/problem+json"
                            : id.equals("getRunLog") ? "text/plain"
                            : id.startsWith("stream") ? "text/event-stream" : "application/json";
                    assertThat(content.keySet()).as(where + " " + code).containsExactly(media);
                    JsonObject examples = content.getJsonObject(media).getJsonObject("examples");
                    assertThat(examples).as(where + " " + code + " example").isNotEmpty();
                    String example = examples.values().iterator().next().asJsonObject().getString("value");
                    if (media.equals("text/event-stream")) {
                        assertThat(example).as(where + " " + code + " example").containsAnyOf("event: end",
                                "event: finished").contains("id: ", "data: ");
                    } else if (!media.equals("text/plain")) {
                        JsonObject parsed = Json.createReader(new StringReader(example)).readObject();
                        if (code.charAt(0) >= '4') {
                            assertThat(parsed.getInt("status")).as(where + " " + code + " example").isEqualTo(
                                    Integer.parseInt(code));
                        }
                    }
                }
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(DOCUMENTED_ERRORS.keySet());
        JsonObject enqueue = paths.getJsonObject("/api/jobs").getJsonObject("post");
        String body = enqueue.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json")
                .getJsonObject("examples").values().iterator().next().asJsonObject().getString("value");
        assertThat(Json.createReader(new StringReader(body)).readObject().getString("agent")).isEqualTo("echo");
    }
}
