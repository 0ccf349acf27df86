package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.launcher.EmbeddedDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarted under the running server (Payara Micro + the WAR, its own PostgreSQL on a
 * fixed port and data directory): first a fast restart, then a 20 s outage, each while agents run.
 * <ul>
 * <li>Both pools recover: reads through JPA (the container pool: {@code GET /api/jobs/{id}}) and
 *     through the queue pool ({@code GET /api/queue}) answer 200 again within seconds, and jobs
 *     enqueued afterwards are claimed and run.</li>
 * <li>During the outage every API request answers 503, a problem document with
 *     {@code Retry-After}, naming no exception; an enqueue refused then created nothing.</li>
 * <li>Nothing is lost and no run repeats: every job ends done; no job ever has two live processes
 *     at once (a per-job mkdir lock, a DOUBLE marker if found taken); no job runs again after a
 *     run of it succeeded (a REPEAT marker); every process an agent started is a run the database
 *     knows of. A run interrupted by the outage may be retried (a new attempt after the first ended);
 *     that is not a repeat, and the test reports how many there were.</li>
 * <li>Readiness answers 503 with the database check DOWN during the outage, liveness stays UP,
 *     and readiness is UP again once the database is back.</li>
 * <li>The node does not fence itself for an outage well inside its lease (120 s).</li>
 * </ul>
 */
class DatabaseRestartIT {
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration RECOVERY = Duration.ofSeconds(15);
    private static final Duration OUTAGE = Duration.ofSeconds(20);
    /** The longest a request may take during the outage (the queue pool waits 5 s for a connection). */
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(8);
    private static final String TOKEN = System.getenv("ORCH_API_TOKEN");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Path data = Path.of("target", "dbrestart-data").toAbsolutePath();
    private final Path pgData = data.resolve("pg");
    private final Path marks = data.resolve("marks");
    private final List<Long> jobs = new ArrayList<>();
    private EmbeddedDatabase pg;
    private int pgPort;
    private Process server;
    private int port;

    @BeforeEach
    void setUp() throws IOException {
        deleteTree(data);
        Files.createDirectories(marks);
        port = freePort();
        pgPort = freePort();
        // "work": about 2 s; a per-job mkdir lock (taken -> DOUBLE); started again after a run of the
        // job succeeded -> REPEAT; each start appends a line to starts-<job>
        String script = "m=\"$1\"; j=\"$ORCH_JOB_ID\"; d=\"$m/lock-$j\"; "
                + "if [ -e \"$m/ok-$j\" ]; then touch \"$m/REPEAT-$j\"; fi; "
                + "if ! mkdir \"$d\" 2>/dev/null; then touch \"$m/DOUBLE-$j\"; fi; "
                + "echo \"$ORCH_ATTEMPT\" >> \"$m/starts-$j\"; "
                + "trap 'rmdir \"$d\" 2>/dev/null; exit 143' TERM; "
                + "i=0; while [ $i -lt 4 ]; do sleep 0.5; i=$((i+1)); done; rmdir \"$d\"; touch \"$m/ok-$j\"; echo finished";
        Files.writeString(data.resolve("agents.json"), "{\"agents\": {\"work\": {\"command\": [\"/bin/sh\", \"-c\", "
                + json(script) + ", \"work\", " + json(marks.toString()) + "], \"timeout_seconds\": 120}}}");
        pg = startDatabase();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void reads_recover_within_seconds_of_a_restart_an_outage_answers_503_and_no_job_is_lost_or_run_twice()
            throws Exception {
        startServer();
        enqueue(6);
        await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM agent_runs WHERE pid IS NOT NULL "
                + "AND finished_at IS NULL") > 0);
        assertThat(status("/api/jobs/" + jobs.get(0))).isEqualTo(200); // the container pool holds connections

        // 1. a fast restart (pg_ctl stop -m fast, start): the pooled connections are all dead now
        pg.close();
        pg = startDatabase();
        awaitReadsAnswer200("after a fast restart");

        // 2. a 20 s outage while agents run
        enqueue(6);
        await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM agent_runs WHERE pid IS NOT NULL "
                + "AND finished_at IS NULL AND job_id > " + jobs.get(5)) > 0);
        pg.close();
        long down = System.nanoTime();
        List<String> seen = new ArrayList<>();
        assertUnavailable(post("/api/jobs", "{\"agent\": \"work\", \"repo\": \"dbrestart\"}"));
        await().atMost(OUTAGE.plusSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            for (String path : List.of("/api/jobs/" + jobs.get(0), "/api/jobs?limit=5", "/api/queue")) {
                assertUnavailable(get(path));
                seen.add(path);
            }
            return System.nanoTime() - down >= OUTAGE.toNanos();
        });
        assertThat(seen).as("API requests answered during the outage").hasSizeGreaterThanOrEqualTo(6);
        HttpResponse<String> ready = send(get("/health/ready"));
        assertThat(ready.statusCode()).as("readiness during the outage: " + ready.body()).isEqualTo(503);
        assertThat(healthCheck(body(ready), "orchestrator-database").getString("status"))
                .as("the readiness check that names the database").isEqualTo("DOWN");
        assertThat(send(get("/health/live")).statusCode()).as("liveness stays UP: a restart would not help")
                .isEqualTo(200);
        pg = startDatabase();
        awaitReadsAnswer200("after a 20 s outage");
        await("readiness UP again").atMost(RECOVERY).pollInterval(Duration.ofMillis(250))
                .until(() -> status("/health/ready") == 200);
        assertThat(healthCheck(body(send(get("/health/ready"))), "orchestrator-database").getString("status"))
                .isEqualTo("UP");

        // 3. new work after both: enqueued, claimed and finished through the queue pool (EnqueueStore, ADR 0011)
        enqueue(3);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> count("SELECT count(*) FROM jobs WHERE status = 'done'") == jobs.size());

        assertThat(count("SELECT count(*) FROM jobs")).as("no job lost, none created by the refused enqueue")
                .isEqualTo(jobs.size());
        try (Stream<Path> files = Files.list(marks)) {
            assertThat(files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("DOUBLE") || n.startsWith("REPEAT")))
                    .as("no two runs of a job at once, no run after a successful one").isEmpty();
        }
        assertThat(count("SELECT count(*) FROM agent_runs WHERE finished_at IS NULL")).as("no run left open").isZero();
        for (long job : jobs) {
            assertThat(count("SELECT count(*) FROM agent_runs WHERE job_id = " + job + " AND outcome = 'done'"))
                    .as("job %d: one successful run", job).isEqualTo(1);
            assertThat(Files.readAllLines(marks.resolve("starts-" + job)))
                    .as("job %d: every process started is a run the database knows", job)
                    .hasSize((int) count("SELECT count(*) FROM agent_runs WHERE job_id = " + job));
        }
        assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'orchestrator-jpa'"))
                .as("the container pool's connections are on the restarted server, with the driver settings of "
                        + "its @DataSourceDefinition").isPositive();
        // the wake-up listener lost its connection at each restart, reconnected and LISTENs on the new server
        await("the wake-up listener reconnected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> metric("orchestrator_notify_connected") == 1.0);
        assertThat(metric("orchestrator_notify_reconnects")).as("one reconnect per restart at least")
                .isGreaterThanOrEqualTo(2.0);
        assertThat(count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'orchestrator-wake-listener'"))
                .as("one dedicated listener connection, not one per reconnect").isEqualTo(1);
        long retried = count("SELECT count(*) FROM agent_runs WHERE outcome <> 'done'");
        System.out.println("DatabaseRestartIT: " + jobs.size() + " jobs, " + retried + " run(s) retried after the outage");

        JsonObject node = body(send(get("/api/queue"))).getJsonObject("reaper").getJsonObject("node");
        assertThat(node.getBoolean("fenced")).isFalse();
        assertThat(node.getJsonNumber("fenced_total").longValue()).as("no self-fencing for a 20 s outage").isZero();
    }

    // ------------------------------------------------------------------ helpers

    private void awaitReadsAnswer200(String when) {
        long from = System.nanoTime();
        await(when).atMost(RECOVERY).pollInterval(Duration.ofMillis(250)).until(() ->
                status("/api/jobs/" + jobs.get(0)) == 200 && status("/api/queue") == 200
                        && status("/api/jobs?limit=5") == 200);
        System.out.println("DatabaseRestartIT: reads answered 200 again " + Duration.ofNanos(System.nanoTime() - from)
                .toMillis() + " ms " + when);
    }

    /** {@code request} answers 503 as a problem document with Retry-After, within {@link #ANSWER_WITHIN}. */
    private void assertUnavailable(HttpRequest request) throws IOException, InterruptedException {
        String what = request.method() + " " + request.uri().getPath();
        long from = System.nanoTime();
        HttpResponse<String> r = send(request);
        assertThat(Duration.ofNanos(System.nanoTime() - from)).as(what + " answers without hanging")
                .isLessThanOrEqualTo(ANSWER_WITHIN);
        assertThat(r.statusCode()).as(what + " during the outage: " + r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).as(what).hasValueSatisfying(t ->
                assertThat(t).startsWith("application/problem+json"));
        assertThat(r.headers().firstValue("Retry-After")).as(what).hasValueSatisfying(v ->
                assertThat(Integer.parseInt(v)).isPositive());
        JsonObject p = body(r);
        assertThat(p.getInt("status")).isEqualTo(503);
        assertThat(p.getString("title")).isEqualTo("Service Unavailable");
        assertThat(r.body()).as(what + " names no exception or driver")
                .doesNotContainIgnoringCase("exception")
                .doesNotContainIgnoringCase("postgres")
                .doesNotContainIgnoringCase("sql")
                .doesNotContain("eclipse", "java.", "org.", Integer.toString(pgPort));
    }

    /** Always on the same port and data directory; zonky deletes a directory it was told to clean. */
    private EmbeddedDatabase startDatabase() throws IOException {
        return EmbeddedDatabase.start(pgData, pgPort, true, EmbeddedDatabase.Durability.THROWAWAY);
    }

    private void startServer() throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv()); // ORCH_API_TOKEN among them
        env.put("ORCH_DB_URL", "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres");
        env.put("ORCH_DB_USER", EmbeddedDatabase.USER);
        env.put("ORCH_DB_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.put("ORCH_DATA_DIR", data.toString());
        env.put("ORCH_AGENTS_FILE", data.resolve("agents.json").toString());
        env.put("ORCH_MAX_CONCURRENCY", "3");
        env.put("ORCH_REAPER_INTERVAL_SECONDS", "1");
        env.put("ORCH_NODE_HEARTBEAT_SECONDS", "1");
        env.put("ORCH_KILL_GRACE_SECONDS", "3");
        env.remove("ORCH_NODE_LEASE_SECONDS"); // the default, 120 s: a 20 s outage is well inside it
        Path log = data.resolve("server.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", System.getProperty("payara.microJar"), "--nocluster", "--port",
                Integer.toString(port), "--contextroot", "/", "--deploy", System.getProperty("orch.war"))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        server = pb.start();
        await().atMost(BOOT).pollInterval(Duration.ofMillis(500)).until(() -> {
            if (!server.isAlive()) {
                throw new IllegalStateException("the server exited; see " + log);
            }
            return status("/api/queue") == 200;
        });
    }

    private void enqueue(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = send(post("/api/jobs", "{\"agent\": \"work\", \"repo\": \"dbrestart\"}"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            jobs.add(body(r).getJsonNumber("id").longValue());
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(15));
    }

    private HttpRequest get(String path) {
        return request(path).GET().build();
    }

    private HttpRequest post(String path, String json) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private static HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private int status(String path) {
        try {
            return send(get(path)).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static JsonObject healthCheck(JsonObject health, String name) {
        return health.getJsonArray("checks").getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("name").equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + health));
    }

    /** One series of {@code /metrics} (no labels of its own besides {@code mp_scope}). */
    private double metric(String name) throws IOException, InterruptedException {
        for (String line : send(get("/metrics?scope=application")).body().split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no series " + name + " at /metrics");
    }

    private static JsonObject body(HttpResponse<String> r) {
        return Json.createReader(new StringReader(r.body())).readObject();
    }

    private long count(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres",
                EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
