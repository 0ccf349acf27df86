import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP load of the API (see bench/README.md); it pauses claiming and leaves it paused, so use a
 * server that is thrown away afterwards: the rates of POST /api/jobs, GET /api/jobs/{id},
 * GET /health/live (the server's own ceiling), the batch enqueue, and GET /api/queue. Loopback only,
 * every loop bounded by a duration or a count. Prints one line per measure, "key=value" pairs that
 * bench/run.sh collects.
 *
 * <pre>
 * java bench/Api.java BASE_URL TOKEN single SECONDS CONNECTIONS   # health, POST (claims paused), GET
 * java bench/Api.java BASE_URL TOKEN batch   JOBS CLIENTS [SIZE]  # POST /api/jobs/batch
 * java bench/Api.java BASE_URL TOKEN overview REQUESTS            # GET /api/queue, one client
 * </pre>
 */
public class Api {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();
    static String base;
    static String token;

    public static void main(String[] args) throws Exception {
        base = args[0].replaceAll("/$", "");
        if (!URI.create(base).getHost().matches("127\\.0\\.0\\.1|localhost|\\[::1\\]")) {
            throw new IllegalArgumentException("the benchmark only talks to a server on loopback");
        }
        token = args[1];
        switch (args[2]) {
            case "single" -> single(Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "batch" -> batch(Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    args.length > 5 ? Integer.parseInt(args[5]) : 1000);
            case "overview" -> overview(Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException("unknown mode " + args[2]);
        }
    }

    /** /health/live, then POST /api/jobs with claiming paused, then GET /api/jobs/{id} of those jobs. */
    static void single(int seconds, int connections) throws Exception {
        Duration d = Duration.ofSeconds(seconds);
        warm(connections);
        Result live = load("health_live", connections, d, i -> get("/health/live"), 200, null);
        ConcurrentLinkedQueue<Long> ids = new ConcurrentLinkedQueue<>();
        Result post = load("post_job", connections, d,
                i -> post("/api/jobs", "{\"agent\":\"true\",\"repo\":\"bench-" + (i % 64) + "\",\"payload\":{\"n\":" + i + "}}"),
                201, ids);
        List<Long> known = new ArrayList<>(ids);
        Result get = load("get_job", connections, d, i -> get("/api/jobs/" + known.get(i % known.size())), 200, null);
        System.out.printf(Locale.ROOT, "ratio get_job/health_live=%.2f%n", get.rate / live.rate);
        live.print();
        post.print();
        get.print();
    }

    /** JOBS jobs in batches of SIZE from CLIENTS clients, claiming paused; jobs/s over the whole run. */
    static void batch(int jobs, int clients, int size) throws Exception {
        expect(send(post("/api/queue/pause", "")), 200, "pause");
        int batches = (jobs + size - 1) / size;
        AtomicInteger next = new AtomicInteger();
        AtomicLong accepted = new AtomicLong();
        List<Long> lat = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            fs.add(pool.submit(() -> {
                int b;
                while ((b = next.getAndIncrement()) < batches) {
                    StringBuilder body = new StringBuilder("{\"jobs\":[");
                    for (int k = 0; k < size; k++) {
                        if (k > 0) {
                            body.append(',');
                        }
                        body.append("{\"agent\":\"true\",\"repo\":\"batch-").append(k % 64)
                                .append("\",\"payload\":{\"b\":").append(b).append(",\"k\":").append(k).append("}}");
                    }
                    body.append("]}");
                    long s = System.nanoTime();
                    HttpResponse<String> r = send(post("/api/jobs/batch", body.toString()));
                    lat.add(System.nanoTime() - s);
                    if (r.statusCode() != 201 && r.statusCode() != 200) {
                        throw new IllegalStateException("batch answered " + r.statusCode() + ": "
                                + r.body().substring(0, Math.min(300, r.body().length())));
                    }
                    accepted.addAndGet(size);
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : fs) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Collections.sort(lat);
        System.out.printf(Locale.ROOT, "batch_enqueue jobs=%d clients=%d size=%d seconds=%.2f jobs_per_s=%.0f "
                + "batch_p50_ms=%.1f batch_p99_ms=%.1f%n", accepted.get(), clients, size, secs, accepted.get() / secs,
                pct(lat, 50) / 1e6, pct(lat, 99) / 1e6);
    }

    /** GET /api/queue one at a time: its latency. */
    static void overview(int requests) throws Exception {
        for (int i = 0; i < 20; i++) {
            expect(send(get("/api/queue")), 200, "GET /api/queue");
        }
        List<Long> lat = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            long s = System.nanoTime();
            expect(send(get("/api/queue")), 200, "GET /api/queue");
            lat.add(System.nanoTime() - s);
        }
        Collections.sort(lat);
        System.out.printf(Locale.ROOT, "overview requests=%d p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f%n", requests,
                pct(lat, 50) / 1e6, pct(lat, 95) / 1e6, pct(lat, 99) / 1e6);
    }

    record Result(String name, int connections, long ok, long errors, double seconds, double rate, List<Long> lat) {
        void print() {
            System.out.printf(Locale.ROOT, "%s connections=%d requests=%d errors=%d req_per_s=%.0f p50_ms=%.1f "
                    + "p95_ms=%.1f p99_ms=%.1f%n", name, connections, ok, errors, rate, pct(lat, 50) / 1e6,
                    pct(lat, 95) / 1e6, pct(lat, 99) / 1e6);
        }
    }

    /** CONNECTIONS threads, each with its own keep-alive client, for the duration. */
    static Result load(String name, int connections, Duration d, IntFunction<HttpRequest> request, int status,
                       ConcurrentLinkedQueue<Long> ids) throws Exception {
        AtomicInteger seq = new AtomicInteger();
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Long> lat = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        CountDownLatch start = new CountDownLatch(1);
        long[] window = new long[2];
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            fs.add(pool.submit(() -> {
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                        .version(HttpClient.Version.HTTP_1_1).build();
                start.await();
                long end = window[1];
                while (System.nanoTime() < end) {
                    HttpRequest r = request.apply(seq.getAndIncrement());
                    long s = System.nanoTime();
                    HttpResponse<String> resp = client.send(r, HttpResponse.BodyHandlers.ofString());
                    lat.add(System.nanoTime() - s);
                    if (resp.statusCode() == status) {
                        ok.incrementAndGet();
                        if (ids != null) {
                            ids.add(longField(resp.body(), "id"));
                        }
                    } else if (errors.incrementAndGet() <= 3) {
                        System.err.println(name + ": " + resp.statusCode() + " " + resp.body());
                    }
                }
                return null;
            }));
        }
        window[0] = System.nanoTime();
        window[1] = window[0] + d.toNanos();
        start.countDown();
        for (Future<?> f : fs) {
            f.get(d.toSeconds() + 120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        double secs = (System.nanoTime() - window[0]) / 1e9;
        List<Long> sorted = new ArrayList<>(lat);
        Collections.sort(sorted);
        return new Result(name, connections, ok.get(), errors.get(), secs, ok.get() / secs, sorted);
    }

    /** Warms the JIT and the pools; leaves claiming paused (the server is thrown away afterwards). */
    static void warm(int connections) throws Exception {
        load("warm", connections, Duration.ofSeconds(3), i -> get("/health/live"), 200, null);
        expect(send(post("/api/queue/pause", "")), 200, "pause");
        ConcurrentLinkedQueue<Long> ids = new ConcurrentLinkedQueue<>();
        load("warm", connections, Duration.ofSeconds(3),
                i -> post("/api/jobs", "{\"agent\":\"true\",\"repo\":\"warm\"}"), 201, ids);
        List<Long> known = new ArrayList<>(ids);
        load("warm", connections, Duration.ofSeconds(2), i -> get("/api/jobs/" + known.get(i % known.size())), 200, null);
    }

    static HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).build();
    }

    static HttpRequest post(String path, String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static void expect(HttpResponse<String> r, int status, String what) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(what + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(i, sorted.size() - 1)));
    }

    static long longField(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in " + json);
        }
        return Long.parseLong(m.group(1));
    }
}
