package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.testing.Processes;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * End to end with the real server process (Payara Micro + the WAR) on real PostgreSQL:
 * <ol>
 * <li>kill -9 the server while agents run: its agent's process group dies with it, before any
 *     restart; restart it: every job ends done, none is lost, and no job ever has two live
 *     processes at once (each agent holds a per-job mkdir lock and leaves a DOUBLE marker if it
 *     finds the lock taken);</li>
 * <li>the incident: max_concurrency=1 and a running job whose recorded pid now belongs to an
 *     unrelated live process; the reaper judges the run dead and the queue keeps moving.</li>
 * </ol>
 */
class CrashRecoveryIT {
    /** The integration tests\' admin token (ORCH_API_TOKEN, set by Failsafe). */
    static final String BEARER = "Bearer " + System.getenv("ORCH_API_TOKEN");
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Path data = Path.of("target", "e2e-data").toAbsolutePath();
    private final Path locks = data.resolve("locks");
    private final List<Process> servers = new ArrayList<>();
    private final List<Process> others = new ArrayList<>();
    private int port;

    @BeforeEach
    void setUp() throws IOException {
        deleteTree(data);
        Files.createDirectories(locks);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // "long": holds a per-job lock for 4 s; finds it taken -> leaves a DOUBLE marker
        String script = "d=\"$1/$ORCH_JOB_ID\"; if ! mkdir \"$d\" 2>/dev/null; then touch \"$1/DOUBLE-$ORCH_JOB_ID\"; fi; "
                + "trap 'rmdir \"$d\" 2>/dev/null; exit 143' TERM; "
                + "i=0; while [ $i -lt 8 ]; do sleep 0.5; i=$((i+1)); done; rmdir \"$d\"; echo finished";
        Files.writeString(data.resolve("agents.json"), "{\"agents\": {"
                + "\"long\": {\"command\": [\"/bin/sh\", \"-c\", " + json(script) + ", \"e2e\", " + json(locks.toString())
                + "], \"timeout_seconds\": 120},"
                + "\"ok\": {\"command\": [\"/bin/true\"]}}}");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : servers) {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
        others.forEach(Process::destroyForcibly);
    }

    @Test
    void a_server_killed_with_sigkill_loses_no_job_and_never_runs_one_twice_and_a_reused_pid_never_wedges_it()
            throws Exception {
        Process a = startServer("a");
        List<Long> jobs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            jobs.add(enqueue("long"));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM jobs WHERE status = 'running' "
                + "AND pid IS NOT NULL AND id = ANY (ARRAY" + jobs + ")") == 1);

        long agentPid = count("SELECT pid FROM jobs WHERE status = 'running' AND pid IS NOT NULL "
                + "AND id = ANY (ARRAY" + jobs + ")");

        a.destroyForcibly(); // kill -9: nothing in the JVM runs, yet its agents must not outlive it
        assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await("the agent's group dies with its server").atMost(Duration.ofSeconds(30))
                .until(() -> Processes.gone(agentPid));

        startServer("b");
        await().atMost(Duration.ofMinutes(2)).until(() -> count("SELECT count(*) FROM jobs WHERE status = 'done' "
                + "AND id = ANY (ARRAY" + jobs + ")") == jobs.size());

        try (Stream<Path> markers = Files.list(locks)) {
            assertThat(markers.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("DOUBLE")))
                    .as("no job ran twice at once").isEmpty();
        }
        assertThat(count("SELECT count(*) FROM agent_runs WHERE finished_at IS NULL AND job_id = ANY (ARRAY" + jobs
                + ")")).as("no run left open").isZero();
        assertThat(count("SELECT count(*) FROM jobs WHERE attempts > 1 AND id = ANY (ARRAY" + jobs + ")")).isZero();
        String queue = get("/api/queue");
        assertThat(queue).contains("\"recovered_at_startup\":1");

        // the incident, on the restarted server: one slot, held by a run whose pid was reused
        Process unrelated = new ProcessBuilder("sleep", "300").start();
        others.add(unrelated);
        String node = liveNodeId();
        long phantom;
        try (Connection c = db(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("INSERT INTO jobs (agent, repo, status, run_id, pid, started_at, "
                    + "claimed_by, available_at, created_at, updated_at) VALUES ('ok', 'incident', 'running', 760, "
                    + unrelated.pid() + ", now(), '" + node + "', now(), now(), now()) RETURNING id")) {
                rs.next();
                phantom = rs.getLong(1);
            }
            s.execute("INSERT INTO agent_runs (id, job_id, attempt, node_id, host, boot_id, pid, process_started_at, "
                    + "started_at, log_path) OVERRIDING SYSTEM VALUE VALUES (760, " + phantom + ", 1, '" + node
                    + "', 'h', (SELECT boot_id FROM nodes WHERE id = '" + node + "'), " + unrelated.pid()
                    + ", '2020-01-01T00:00:00Z', now(), '/nonexistent/output.log')");
        }
        long next = enqueue("ok");

        await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/jobs/" + next).contains("\"status\":\"done\""));
        assertThat(unrelated.isAlive()).as("the unrelated process is never touched").isTrue();
        assertThat(get("/api/jobs/" + phantom)).contains("pid reused");
        assertThat(get("/api/queue")).contains("\"pid_reused\":1");
    }

    // ------------------------------------------------------------------ helpers

    private Process startServer(String name) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("ORCH_DATA_DIR", data.toString());
        env.put("ORCH_AGENTS_FILE", data.resolve("agents.json").toString());
        env.put("ORCH_MAX_CONCURRENCY", "1");
        env.put("ORCH_REAPER_INTERVAL_SECONDS", "1");
        env.put("ORCH_NODE_HEARTBEAT_SECONDS", "1");
        env.put("ORCH_KILL_GRACE_SECONDS", "3");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", System.getProperty("payara.microJar"), "--nocluster", "--port",
                Integer.toString(port), "--contextroot", "/", "--deploy", System.getProperty("orch.war"))
                .redirectErrorStream(true)
                .redirectOutput(data.resolve("server-" + name + ".log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        servers.add(p);
        await().atMost(BOOT).pollInterval(Duration.ofMillis(500)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("server " + name + " exited; see " + data.resolve("server-" + name
                        + ".log"));
            }
            return status("/api/queue") == 200;
        });
        return p;
    }

    private long enqueue(String agent) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/jobs")).header("Authorization", BEARER)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent\": \"" + agent + "\", \"repo\": \"e2e\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        Matcher m = Pattern.compile("\"id\":(\\d+)").matcher(r.body());
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private String get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", BEARER).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", BEARER)
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String liveNodeId() throws SQLException {
        try (Connection c = db(); PreparedStatement ps = c.prepareStatement(
                "SELECT id FROM nodes WHERE stopped_at IS NULL AND jvm_pid = ?")) {
            ps.setLong(1, servers.get(servers.size() - 1).pid());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    private static Connection db() throws SQLException {
        return DriverManager.getConnection(System.getenv("ORCH_DB_URL"), System.getenv("ORCH_DB_USER"),
                System.getenv("ORCH_DB_PASSWORD"));
    }

    private static long count(String sql) throws SQLException {
        try (Connection c = db(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
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
