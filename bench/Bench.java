import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Orchestrator benchmark client (see bench/README.md). Talks only to the server on loopback, with
 * bounded loops. Usage: java bench/Bench.java BASE_URL DATA_DIR [LATENCY_JOBS] [DRAIN_JOBS] [SLOTS]
 * (DRAIN_JOBS 0: the idle latency only; DATA_DIR is the data directory of the node that runs the jobs)
 */
public class Bench {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Duration DEADLINE = Duration.ofMinutes(10);
    /** The API's bearer token: bench/run.sh starts the server with ORCH_API_TOKEN and passes it on. */
    static final String TOKEN = System.getenv("ORCH_API_TOKEN");

    public static void main(String[] args) throws Exception {
        String base = args[0].replaceAll("/$", "");
        if (!URI.create(base).getHost().matches("127\\.0\\.0\\.1|localhost|\\[::1\\]")) {
            throw new IllegalArgumentException("the benchmark only talks to a server on loopback");
        }
        if (TOKEN == null || TOKEN.isBlank()) {
            throw new IllegalArgumentException("set ORCH_API_TOKEN to the server's admin token");
        }
        Path data = Path.of(args[1]);
        int latencyJobs = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int drainJobs = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        int slots = args.length > 4 ? Integer.parseInt(args[4]) : 8;

        System.out.printf("Orchestrator benchmark against %s (%d cores, %s)%n", base,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        int maxConcurrency = intField(get(base + "/api/queue"), "max_concurrency");
        System.out.printf("server max_concurrency=%d%n%n", maxConcurrency);

        // 1. idle dispatch latency: POST -> the agent process has started (it prints its own start time)
        for (int i = 0; i < 20; i++) {
            idleLatencyMicros(base, data); // warm-up: JIT, pools
        }
        List<Long> lat = new ArrayList<>();
        List<Long> toInsert = new ArrayList<>();
        List<Long> toClaim = new ArrayList<>();
        List<Long> toAgent = new ArrayList<>();
        for (int i = 0; i < latencyJobs; i++) {
            long[] l = idleLatencyMicros(base, data);
            lat.add(l[0]);
            toInsert.add(l[1]);
            toClaim.add(l[2]);
            toAgent.add(l[3]);
        }
        Collections.sort(lat);
        System.out.printf("Idle dispatch latency, POST /api/jobs -> agent process started (%d jobs, one at a time):%n",
                latencyJobs);
        System.out.printf("  p50 %.1f ms   p95 %.1f ms   p99 %.1f ms   max %.1f ms%n", pct(lat, 50) / 1000.0,
                pct(lat, 95) / 1000.0, pct(lat, 99) / 1000.0, lat.get(lat.size() - 1) / 1000.0);
        // where the time goes, from the job's own timestamps (one machine, one system clock)
        for (List<Long> l : List.of(toInsert, toClaim, toAgent)) {
            Collections.sort(l);
        }
        System.out.printf("  p50 of its parts: POST sent -> created_at %.1f ms; created_at -> claimed (started_at) %.1f ms;"
                + " claimed -> agent started %.1f ms%n%n", pct(toInsert, 50) / 1000.0, pct(toClaim, 50) / 1000.0,
                pct(toAgent, 50) / 1000.0);

        if (drainJobs == 0) {
            return; // latency only (bench/run.sh's cross-node section)
        }

        // 2. drain rate of /bin/true jobs: enqueued by 8 HTTP clients while claiming is paused, then
        //    resumed and timed until all are done (no HTTP load competes with the drain)
        long doneBefore = intField(get(base + "/api/queue"), "done");
        check(post(base + "/api/queue/pause", ""), "pause");
        long t0 = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        AtomicInteger posted = new AtomicInteger();
        AtomicLong lastId = new AtomicLong();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            fs.add(clients.submit(() -> {
                int n;
                while ((n = posted.getAndIncrement()) < drainJobs) {
                    // 16 repos: the serial gate (one running job per repo, on by default) leaves 8 slots usable
                    HttpResponse<String> r = post(base + "/api/jobs",
                            "{\"agent\":\"true\",\"repo\":\"bench-" + (n % 16) + "\"}");
                    if (r.statusCode() != 201) {
                        throw new IllegalStateException("enqueue failed: " + r.statusCode() + " " + r.body());
                    }
                    lastId.accumulateAndGet(intField(r.body(), "id"), Math::max);
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : fs) {
                f.get(DEADLINE.toMinutes(), TimeUnit.MINUTES);
            }
        } finally {
            clients.shutdown();
            check(post(base + "/api/queue/resume", ""), "resume");
        }
        long enqueued = System.nanoTime();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        // the last job claimed (the newest) ends about last; GET /api/queue counts and explains the whole
        // queue, which would load the server while it drains: read it only once that job is done
        while (!get(base + "/api/jobs/" + lastId.get()).contains("\"status\":\"done\"")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("drain did not finish within " + DEADLINE);
            }
            Thread.sleep(10);
        }
        while (intField(get(base + "/api/queue"), "done") - doneBefore < drainJobs) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("drain did not finish within " + DEADLINE);
            }
            Thread.sleep(10);
        }
        long drained = System.nanoTime();
        double drainRate = drainJobs / ((drained - enqueued) / 1e9);
        System.out.printf("Drain of %d /bin/true jobs at %d slots (enqueued while claiming was paused):%n", drainJobs,
                maxConcurrency);
        System.out.printf("  enqueue %.0f jobs/s (8 HTTP clients); after resume all done in %.2f s: %.0f jobs/s%n%n",
                drainJobs / ((enqueued - t0) / 1e9), (drained - enqueued) / 1e9, drainRate);

        // 3. the JVM's own spawn rate on this machine, same run, same slots
        double plain = spawnRate(drainJobs, slots, List.of("/bin/true"), null);
        double setsid = spawnRate(drainJobs, slots, List.of("setsid", "/bin/true"),
                Files.createTempFile("bench-spawn", ".log"));
        Path exitFile = Files.createTempFile("bench-exit", ".status");
        // the same script as ProcessLauncher.EXIT_WRAPPER (stdin stays the default pipe, as there)
        String wrapper = String.join("\n",
                "f=$1; g=$2; shift 2",
                "exec 3<&0 </dev/null",
                "{ while read -r _ <&3; do :; done; trap '' TERM; kill -s TERM 0; sleep \"$g\"; kill -s KILL 0; } &",
                "w=$!",
                "trap 'exit 143' TERM",
                "exec 3<&-",
                "\"$@\"; c=$?",
                "kill -s KILL \"$w\" 2>/dev/null; wait \"$w\" 2>/dev/null",
                "echo \"$c\" > \"$f\"; exit \"$c\"");
        double wrapped = spawnRate(drainJobs, slots, List.of("setsid", "/bin/sh", "-c", wrapper, "orchestrator-run",
                exitFile.toString(), "10", "/bin/true"), Files.createTempFile("bench-spawn", ".log"));
        System.out.printf("JVM spawn rate of %d /bin/true with %d threads (no queue, no database):%n", drainJobs, slots);
        System.out.printf("  plain ProcessBuilder: %.0f/s;  setsid, output to a file: %.0f/s;"
                + "  exactly as the runner starts agents (also the exit-status wrapper): %.0f/s%n", plain, setsid, wrapped);
        System.out.printf("  queue drain rate / plain spawn rate = %.0f%%;  / runner spawn rate = %.0f%%%n",
                100 * drainRate / plain, 100 * drainRate / wrapped);
    }

    /** {total, sent -> created_at, created_at -> started_at (the claim), started_at -> agent start}, in µs. */
    static long[] idleLatencyMicros(String base, Path data) throws Exception {
        Instant sent = Instant.now();
        HttpResponse<String> r = post(base + "/api/jobs", "{\"agent\":\"stamp\",\"repo\":\"bench\"}");
        if (r.statusCode() != 201) {
            throw new IllegalStateException("enqueue failed: " + r.statusCode() + " " + r.body());
        }
        long id = intField(r.body(), "id");
        Path jobRuns = data.resolve("runs").resolve(Long.toString(id));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(jobRuns)) {
                try (Stream<Path> runs = Files.list(jobRuns)) {
                    for (Path run : (Iterable<Path>) runs::iterator) {
                        Path log = run.resolve("output.log");
                        String text = Files.exists(log) ? Files.readString(log).trim() : "";
                        if (!text.isEmpty()) {
                            long nanos = Long.parseLong(text.lines().findFirst().orElseThrow().trim());
                            Instant started = Instant.ofEpochSecond(0, nanos);
                            String job = awaitStatus(base, id, "done");
                            Instant created = instantField(job, "created_at");
                            Instant claimed = instantField(job, "started_at");
                            return new long[] {micros(sent, started), micros(sent, created), micros(created, claimed),
                                    micros(claimed, started)};
                        }
                    }
                }
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("job " + id + " did not start within 30 s");
    }

    static void check(HttpResponse<String> r, String what) {
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(what + " failed: " + r.statusCode() + " " + r.body());
        }
    }

    static String awaitStatus(String base, long id, String status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String job;
        while (!(job = get(base + "/api/jobs/" + id)).contains("\"status\":\"" + status + "\"")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("job " + id + " not " + status);
            }
            Thread.sleep(2);
        }
        return job;
    }

    static long micros(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1000;
    }

    static Instant instantField(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in " + json);
        }
        return Instant.parse(m.group(1));
    }

    static double spawnRate(int n, int threads, List<String> argv, Path log) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger left = new AtomicInteger(n);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                while (left.getAndDecrement() > 0) {
                    ProcessBuilder pb = new ProcessBuilder(argv);
                    if (log != null) {
                        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                    }
                    Process p = pb.start();
                    p.waitFor();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get(DEADLINE.toMinutes(), TimeUnit.MINUTES);
        }
        pool.shutdown();
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static long pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }

    static int intField(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in " + json);
        }
        return Integer.parseInt(m.group(1));
    }

    static String get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
