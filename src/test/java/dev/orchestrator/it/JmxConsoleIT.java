package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.launcher.JmxRemote;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JMX admin console over the JDK's real remote connector, against the server process (Payara
 * Micro + the WAR) started with the launcher's JMX flags, password and access files written here
 * (mode 0600): the beans and their descriptions, attributes, pause/resume/cancel/retry from the
 * RMI threads (the entity path needs the container's context), a readonly user refused, a wrong
 * password refused at connect, and every action in the audit trail as jmx:USER.
 */
class JmxConsoleIT {
    private static final String BEARER = "Bearer " + System.getenv("ORCH_API_TOKEN");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path DATA = Path.of("target", "jmx-it-data").toAbsolutePath();
    private static Process server;
    private static int httpPort;
    private static JmxRemote.Settings jmx;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(DATA);
        httpPort = freePort();
        Path passwords = Files.writeString(DATA.resolve("jmx.password"), "ops ops-secret\nwatcher watcher-secret\n");
        Path access = Files.writeString(DATA.resolve("jmx.access"), "ops readwrite\nwatcher readonly\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(access, PosixFilePermissions.fromString("rw-------"));
        jmx = JmxRemote.from(Map.of("ORCH_JMX_PORT", Integer.toString(freePort()),
                "ORCH_JMX_PASSWORD_FILE", passwords.toString(), "ORCH_JMX_ACCESS_FILE", access.toString()));

        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("ORCH_DATA_DIR", DATA.toString());
        env.put("ORCH_REAPER_INTERVAL_SECONDS", "2");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        command.addAll(jmx.jvmFlags());
        command.addAll(List.of("-jar", System.getProperty("payara.microJar"), "--nocluster", "--port",
                Integer.toString(httpPort), "--contextroot", "/", "--deploy", System.getProperty("orch.war")));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(DATA.resolve("server.log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        server = pb.start();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see " + DATA.resolve("server.log"));
            }
            return status("/api/queue") == 200;
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private static JMXConnector connect(String user, String password) throws IOException {
        return JMXConnectorFactory.connect(new JMXServiceURL(jmx.url()),
                Map.of(JMXConnector.CREDENTIALS, new String[] {user, password}));
    }

    @Test
    void the_console_over_a_remote_connector() throws Exception {
        ObjectName queue = new ObjectName("dev.orchestrator:type=Queue");
        try (JMXConnector c = connect("ops", "ops-secret")) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();

            Set<ObjectName> names = mbs.queryNames(new ObjectName("dev.orchestrator:*"), null);
            assertThat(names).extracting(ObjectName::getCanonicalName).contains(
                    "dev.orchestrator:type=Queue", "dev.orchestrator:type=Reaper", "dev.orchestrator:type=Node",
                    "dev.orchestrator:name=echo,type=Agent", "dev.orchestrator:name=sleepy,type=Agent");

            MBeanInfo info = mbs.getMBeanInfo(queue);
            assertThat(info.getDescription()).startsWith("The Orchestrator job queue");
            for (MBeanAttributeInfo a : info.getAttributes()) {
                assertThat(a.getDescription()).as(a.getName()).isNotBlank()
                        .isNotEqualTo("Attribute exposed for management");
            }
            assertThat(List.of(info.getOperations())).filteredOn(o -> o.getName().equals("cancel")).singleElement()
                    .satisfies(o -> {
                        assertThat(o.getDescription()).startsWith("Cancels a job");
                        assertThat(o.getSignature()[0].getName()).isEqualTo("jobId");
                        assertThat(o.getSignature()[0].getDescription()).isEqualTo("The job's id");
                    });
            assertThat(mbs.getMBeanInfo(new ObjectName("dev.orchestrator:type=Reaper")).getAttributes())
                    .extracting(MBeanAttributeInfo::getName).contains("TicksTotal", "ReapedTotal", "Switches",
                            "LastPassDurationMillis");

            assertThat((Integer) mbs.getAttribute(queue, "Capacity")).isEqualTo(2);
            assertThat(((TabularData) mbs.getAttribute(queue, "JobCounts")).size()).isEqualTo(5);
            ObjectName node = new ObjectName("dev.orchestrator:type=Node");
            assertThat((Boolean) mbs.getAttribute(node, "Fenced")).isFalse();
            assertThat((String) mbs.getAttribute(node, "NodeId")).isNotBlank();
            await().atMost(Duration.ofSeconds(30)).until(() -> (Long) mbs.getAttribute(
                    new ObjectName("dev.orchestrator:type=Reaper"), "TicksTotal") > 0);
            assertThat((Integer) mbs.getAttribute(new ObjectName("dev.orchestrator:name=sleepy,type=Agent"), "Limit"))
                    .isNotNull();

            // pause everything, so that the job stays queued; cancel and retry it: the entity path, from RMI threads
            mbs.invoke(queue, "pause", new Object[] {""}, new String[] {String.class.getName()});
            assertThat((Boolean) mbs.getAttribute(queue, "PausedEverywhere")).isTrue();
            long job = enqueue("echo");
            Object cancelled = mbs.invoke(queue, "cancel", new Object[] {job}, new String[] {"long"});
            assertThat(cancelled).isEqualTo("cancel of job " + job + ": done; the job is cancelled");
            assertThat(get("/api/jobs/" + job)).contains("\"status\":\"cancelled\"");
            assertThatThrownBy(() -> mbs.invoke(queue, "cancel", new Object[] {job}, new String[] {"long"}))
                    .hasStackTraceContaining("job " + job + " is cancelled: cannot cancel it");
            assertThatThrownBy(() -> mbs.invoke(queue, "pause", new Object[] {"../x"},
                    new String[] {String.class.getName()})).hasStackTraceContaining("repo '../x'");
            Object retried = mbs.invoke(queue, "retry", new Object[] {job}, new String[] {"long"});
            assertThat(retried).isEqualTo("retry of job " + job + ": done; the job is queued");
            mbs.invoke(queue, "resume", new Object[] {""}, new String[] {String.class.getName()});
            assertThat((Boolean) mbs.getAttribute(queue, "PausedEverywhere")).isFalse();
            await().atMost(Duration.ofSeconds(60)).until(() -> get("/api/jobs/" + job).contains("\"status\":\"done\""));
            Object pass = mbs.invoke(new ObjectName("dev.orchestrator:type=Reaper"), "runNow", new Object[0],
                    new String[0]);
            assertThat(pass).asString().startsWith("reaper pass: sanitized");

            // the audit trail, as the authenticated JMX user
            assertThat(audit("jmx:ops")).contains("pause * done", "cancel job:" + job + " done",
                    "cancel job:" + job + " conflict", "retry job:" + job + " done", "resume * done", "reaper_run");
        }

        try (JMXConnector c = connect("watcher", "watcher-secret")) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            assertThat((Integer) mbs.getAttribute(queue, "Capacity")).isEqualTo(2);
            assertThatThrownBy(() -> mbs.invoke(queue, "pause", new Object[] {""},
                    new String[] {String.class.getName()})).isInstanceOf(SecurityException.class)
                    .hasMessageContaining("Access denied");
            assertThat((Boolean) mbs.getAttribute(queue, "PausedEverywhere")).isFalse();
        }
        assertThat(audit("jmx:watcher")).isEmpty();

        assertThatThrownBy(() -> connect("ops", "wrong")).isInstanceOf(SecurityException.class)
                .hasMessageContaining("Authentication failed");
    }

    private static List<String> audit(String actor) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(System.getenv("ORCH_DB_URL"), System.getenv("ORCH_DB_USER"),
                System.getenv("ORCH_DB_PASSWORD"));
             PreparedStatement ps = c.prepareStatement("SELECT action, target, result FROM audit_events "
                     + "WHERE actor = ? ORDER BY id")) {
            ps.setString(1, actor);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                }
            }
        }
        return rows.stream().map(r -> r.startsWith("reaper_run") ? "reaper_run" : r).toList();
    }

    private static long enqueue(String agent) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                        + "/api/jobs")).header("Authorization", BEARER).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"agent\": \"" + agent + "\", \"repo\": \"jmx-it\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        Matcher m = Pattern.compile("\"id\":(\\d+)").matcher(r.body());
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", BEARER).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .header("Authorization", BEARER).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
