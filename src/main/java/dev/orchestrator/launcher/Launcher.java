package dev.orchestrator.launcher;

import dev.orchestrator.config.ConfigurationException;
import dev.orchestrator.config.DatabaseSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code mvn -Prun}: starts the server in the foreground until Ctrl-C.
 *
 * <ol>
 * <li>Stops a server or embedded PostgreSQL left running by a launcher that was SIGKILLed.</li>
 * <li>Database: ORCH_DB_URL/_USER/_PASSWORD if set (checked by connecting, errors name the
 *     setting); otherwise an embedded PostgreSQL with its data under ORCH_DATA_DIR/postgres.</li>
 * <li>Starts Payara Micro with the WAR on ORCH_HTTP_PORT, in its own session so that Ctrl-C
 *     reaches only the launcher, which then stops the server first and the database last; with
 *     ORCH_JMX_PORT set, with the JDK's JMX connector ({@link JmxRemote}).</li>
 * <li>Waits for the application to answer; if its deployment failed, says so and exits 1
 *     (Payara Micro itself would keep running and answer 404).</li>
 * </ol>
 */
public final class Launcher {
    private static final PrintStream OUT = System.out;

    private final Map<String, String> options;
    private final Map<String, String> env;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicReference<String> startupError = new AtomicReference<>();
    private volatile Process server;
    private volatile EmbeddedDatabase database;
    private volatile ServerPidFile pidFile;

    private Launcher(Map<String, String> options, Map<String, String> env) {
        this.options = options;
        this.env = env;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = new Launcher(parseOptions(args), System.getenv()).run();
        } catch (ConfigurationException e) {
            System.err.println("orchestrator: " + e.getMessage());
            code = 2;
        } catch (IOException | RuntimeException e) {
            System.err.println("orchestrator: cannot start: " + e);
            code = 1;
        }
        System.exit(code);
    }

    /**
     * The embedded PostgreSQL of {@code mvn -Prun}: data kept under {@code dataDir/postgres}, fsync
     * and synchronous commit on, so that a {@code 201 Created}, a finished run or a cancel that was
     * acknowledged survives a crash of the machine.
     */
    static EmbeddedDatabase startEmbeddedDatabase(Path dataDir) throws IOException {
        return EmbeddedDatabase.start(dataDir.resolve("postgres"), 0, true, EmbeddedDatabase.Durability.DURABLE,
                SERVER_LOG);
    }

    /**
     * PostgreSQL's own messages (checkpoints, errors, a crash of a backend) into files under
     * {@code data/postgres/log}, one per weekday, overwritten a week later: the library hands the
     * server's stderr to a pipe that nobody reads once the server has started, so without the
     * collector they are lost.
     */
    static final Map<String, String> SERVER_LOG = Map.of(
            "logging_collector", "on",
            "log_directory", "log",
            "log_filename", "postgresql-%a.log",
            "log_truncate_on_rotation", "on",
            "log_rotation_age", "1d",
            "log_rotation_size", "0");

    static Map<String, String> parseOptions(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (!a.startsWith("--") || eq < 0) {
                throw new ConfigurationException("unknown argument '" + a + "' (expected --name=value)");
            }
            opts.put(a.substring(2, eq), a.substring(eq + 1));
        }
        return opts;
    }

    private Path adminToken;
    private boolean tokenIsGenerated;
    private boolean tokenExistedBefore;

    private int run() throws IOException {
        Path microJar = requiredFile("micro-jar");
        Path war = requiredFile("war");
        Path serverConfig = Path.of(options.getOrDefault("server-config", "server-config")).toAbsolutePath();
        Path dataDir = Path.of(env.getOrDefault("ORCH_DATA_DIR", "data")).toAbsolutePath().normalize();
        int httpPort = port(env.getOrDefault("ORCH_HTTP_PORT", "8080"));
        JmxRemote.Settings jmx = JmxRemote.from(env); // before anything starts: a bad setting changes nothing
        Files.createDirectories(dataDir);

        pidFile = new ServerPidFile(dataDir.resolve("server.pid"));
        pidFile.stopOrphan();

        Map<String, String> serverEnv = new HashMap<>(env);
        serverEnv.put("ORCH_DATA_DIR", dataDir.toString());
        serverEnv.putIfAbsent("ORCH_AGENTS_FILE", serverConfig.resolve("agents.example.json").toString());
        adminToken = dataDir.resolve("admin-token");
        tokenIsGenerated = blank(env.get("ORCH_API_TOKEN")) && blank(env.get("ORCH_API_TOKENS_FILE"));
        tokenExistedBefore = Files.exists(adminToken);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "orchestrator-launcher-stop"));

        String dbDescription;
        if (isBlank(env.get("ORCH_DB_URL"))) {
            OUT.println("orchestrator: starting embedded PostgreSQL (data in " + dataDir.resolve("postgres") + ")");
            database = startEmbeddedDatabase(dataDir);
            serverEnv.put("ORCH_DB_URL", database.jdbcUrl());
            serverEnv.put("ORCH_DB_USER", EmbeddedDatabase.USER);
            serverEnv.put("ORCH_DB_PASSWORD", EmbeddedDatabase.PASSWORD);
            dbDescription = "embedded PostgreSQL on 127.0.0.1:" + database.port();
        } else {
            DatabaseSettings db = DatabaseSettings.fromEnvironment(serverEnv);
            checkConnection(db, serverEnv.get("ORCH_DB_PASSWORD"));
            dbDescription = db.url();
        }

        List<String> command = new ArrayList<>();
        command.add("setsid");
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(env.getOrDefault("ORCH_JAVA_OPTS", "-Xmx1g").trim().split("\\s+")));
        if (jmx != null) {
            command.addAll(jmx.jvmFlags());
            OUT.println("orchestrator: JMX connector at " + jmx.url() + " (users: " + jmx.passwordFile()
                    + ", access: " + jmx.accessFile() + ")");
        }
        command.addAll(List.of("-jar", microJar.toString(),
                "--nocluster",
                "--port", Integer.toString(httpPort),
                "--contextroot", "/",
                "--deploy", war.toString()));
        Path preBoot = serverConfig.resolve("pre-boot-commands.asadmin");
        if (Files.isRegularFile(preBoot)) {
            command.addAll(List.of("--prebootcommandfile", preBoot.toString()));
        }
        Path postBoot = serverConfig.resolve("post-boot-commands.asadmin");
        if (Files.isRegularFile(postBoot)) {
            command.addAll(List.of("--postbootcommandfile", postBoot.toString()));
        }
        Path logging = serverConfig.resolve("logging.properties");
        if (Files.isRegularFile(logging)) {
            command.addAll(List.of("--logproperties", logging.toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(serverEnv);
        OUT.println("orchestrator: starting Payara Micro on port " + httpPort + " (database: " + dbDescription + ")");
        server = pb.start();
        pidFile.write(server.toHandle());

        String base = "http://127.0.0.1:" + httpPort;
        Thread pump = new Thread(() -> pumpOutput(server, base, dataDir, dbDescription), "orchestrator-output");
        pump.setDaemon(true);
        pump.start();
        int exit;
        try {
            exit = server.waitFor();
            pump.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        if (!stopping.get()) {
            OUT.println("orchestrator: the server exited with code " + exit);
        }
        return exit == 0 ? 0 : 1;
    }

    private void pumpOutput(Process p, String base, Path dataDir, String db) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean checked = false;
            while ((line = r.readLine()) != null) {
                OUT.println(line);
                if (line.contains("Orchestrator cannot start:")) {
                    startupError.compareAndSet(null, line.substring(line.indexOf("Orchestrator cannot start:")));
                }
                if (!checked && line.contains("Payara Micro") && line.contains("ready in")) {
                    checked = true;
                    checkApplication(base, dataDir, db);
                }
            }
        } catch (IOException e) {
            // the server's output closed: it exited
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** The admin token the launcher can read (ORCH_API_TOKEN, or the generated file), or null. */
    private String knownToken() {
        if (!blank(env.get("ORCH_API_TOKEN"))) {
            return env.get("ORCH_API_TOKEN").trim();
        }
        try {
            return tokenIsGenerated && Files.isReadable(adminToken) ? Files.readString(adminToken).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void checkApplication(String base, Path dataDir, String db) {
        int status;
        String token = knownToken();
        try {
            HttpRequest.Builder probe = HttpRequest.newBuilder(URI.create(base + "/api/queue"))
                    .timeout(Duration.ofSeconds(30));
            if (token != null) {
                probe.header("Authorization", "Bearer " + token);
            }
            HttpResponse<Void> res = HttpClient.newHttpClient().send(probe.build(),
                    HttpResponse.BodyHandlers.discarding());
            status = res.statusCode();
            // with only a tokens file the launcher holds no token: the application's own 401 shows it is up
            if (token == null && status == 401 && res.headers().firstValue("WWW-Authenticate")
                    .orElse("").startsWith("Bearer realm=\"orchestrator\"")) {
                status = 200;
            }
        } catch (IOException e) {
            status = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (status == 200) {
            OUT.println();
            OUT.println("orchestrator: ready at " + base + "/api  (jobs: POST " + base + "/api/jobs, queue: GET "
                    + base + "/api/queue)");
            OUT.println("orchestrator: dashboard at " + base + "/ (paste the API token to sign in)");
            OUT.println("orchestrator: data in " + dataDir + "; database: " + db + "; Ctrl-C stops everything");
            if (tokenIsGenerated && !tokenExistedBefore && token != null) {
                OUT.println("orchestrator: generated an admin API token (shown once; kept in " + adminToken
                        + ", mode 0600):");
                OUT.println("    " + token);
            }
            if (tokenIsGenerated) {
                OUT.println("orchestrator: try  curl -H \"Authorization: Bearer $(cat " + adminToken + ")\" "
                        + base + "/api/queue");
            }
            OUT.println();
        } else {
            String why = startupError.get();
            System.err.println("orchestrator: the application did not start (GET /api/queue answered " + status
                    + ")" + (why == null ? "; see the server log above" : ": " + why));
            new Thread(() -> System.exit(1), "orchestrator-exit").start();
        }
    }

    /** Shutdown hook: the server first (it hands running jobs back to the queue), the database last. */
    private void stopAll() {
        stopping.set(true);
        Process s = server;
        if (s != null && s.isAlive()) {
            OUT.println("orchestrator: stopping the server");
            s.destroy();
            // the server may spend the agents' kill grace period handing running jobs back
            Duration timeout = Duration.ofSeconds(60 + killGraceSeconds());
            try {
                if (!s.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                    System.err.println("orchestrator: the server did not stop within " + timeout
                            + "; killing it");
                    s.destroyForcibly();
                    s.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pidFile != null) {
            pidFile.delete();
        }
        EmbeddedDatabase db = database;
        if (db != null) {
            OUT.println("orchestrator: stopping embedded PostgreSQL");
            try {
                db.close();
            } catch (IOException e) {
                System.err.println("orchestrator: stopping PostgreSQL failed: " + e.getMessage());
            }
        }
    }

    private long killGraceSeconds() {
        try {
            return Math.max(0, Long.parseLong(env.getOrDefault("ORCH_KILL_GRACE_SECONDS", "10").trim()));
        } catch (NumberFormatException e) {
            return 10; // the server itself rejects the value with a message naming it
        }
    }

    private static void checkConnection(DatabaseSettings db, String password) {
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), password)) {
            c.isValid(5);
        } catch (SQLException e) {
            throw new ConfigurationException("cannot connect to PostgreSQL at ORCH_DB_URL=" + db.url()
                    + " as ORCH_DB_USER=" + db.user() + ": " + e.getMessage());
        }
    }

    private Path requiredFile(String option) {
        String v = options.get(option);
        if (v == null) {
            throw new ConfigurationException("missing --" + option + "=PATH");
        }
        Path p = Path.of(v).toAbsolutePath();
        if (!Files.isRegularFile(p)) {
            throw new ConfigurationException("--" + option + "=" + p + ": no such file (run the build first)");
        }
        return p;
    }

    private static int port(String raw) {
        try {
            int p = Integer.parseInt(raw.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ConfigurationException("ORCH_HTTP_PORT='" + raw + "' is not a TCP port (1..65535, default 8080)");
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
