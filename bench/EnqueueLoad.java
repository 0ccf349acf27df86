import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The enqueue path under load, over HTTP, against a running server on loopback (issue 10, targets
 * 1, 2 and 8). Plain Java, one file, no dependencies: {@code java bench/EnqueueLoad.java MODE BASE TOKEN [...]}.
 *
 * <ul>
 * <li>{@code rates BASE TOKEN [SECONDS=15]}: {@code GET /health/live}, {@code POST /api/jobs} and
 *     {@code GET /api/jobs/{id}} with 8 keep-alive connections each, then {@code POST /api/jobs/batch}
 *     (1,000 jobs) with 4; prints req/s, p50, p99 and the ratio of GET to live. Pause claiming first
 *     ({@code POST /api/queue/pause}) to measure the enqueue alone.</li>
 * <li>{@code correctness BASE TOKEN [JOBS=20000] [CLIENTS=16]}: on a server with no other jobs waiting,
 *     CLIENTS clients enqueue JOBS jobs
 *     together: singles and batches of 50, without and with Idempotency-Keys, every keyed request sent
 *     by 4 clients at the same moment; then waits (at most 10 minutes) until every job ended and reads
 *     each one back. Prints the errors, the jobs per key, the jobs not done and those with other than
 *     one run: all must be 0. The server must be claiming, with an agent named {@code true}.</li>
 * </ul>
 * Only the given base URL is contacted and it must be loopback; every loop is bounded.
 */
public class EnqueueLoad {
    static final Pattern ID = Pattern.compile("\"id\":(\\d+)");
    static final Pattern RUNS = Pattern.compile("\"runs\":\\[[^\\]]*\\]");

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: java bench/EnqueueLoad.java rates|correctness BASE TOKEN [...]");
            System.exit(2);
        }
        String base = args[1].replaceAll("/$", "");
        String host = URI.create(base).getHost();
        if (!Set.of("127.0.0.1", "localhost", "::1", "[::1]").contains(host)) {
            throw new IllegalArgumentException("loopback only: " + base);
        }
        String token = args[2].startsWith("@") ? Files.readString(Path.of(args[2].substring(1))).trim() : args[2];
        if (args[0].equals("rates")) {
            rates(base, token, args.length > 3 ? Integer.parseInt(args[3]) : 15);
        } else {
            correctness(base, token, args.length > 3 ? Integer.parseInt(args[3]) : 20_000,
                    args.length > 4 ? Integer.parseInt(args[4]) : 16);
        }
    }

    // ---------------------------------------------------------------- rates

    record Rate(String what, double perSecond, double jobsPerSecond, double p50, double p99, long errors) {
        @Override
        public String toString() {
            return String.format("%-34s %8.0f req/s %9s p50 %7.1f ms  p99 %7.1f ms  errors %d", what, perSecond,
                    jobsPerSecond > 0 ? String.format("%.0f jobs/s", jobsPerSecond) : "", p50, p99, errors);
        }
    }

    static void rates(String base, String token, int seconds) throws Exception {
        HttpResponse<String> first = send(client(), post(base + "/api/jobs", token, job(0), null));
        Matcher m = ID.matcher(first.body());
        if (first.statusCode() != 201 || !m.find()) {
            throw new IllegalStateException("cannot enqueue: " + first.statusCode() + " " + first.body());
        }
        long id = Long.parseLong(m.group(1));
        Rate live = load("GET /health/live, 8 connections", 8, seconds, 0,
                n -> HttpRequest.newBuilder(URI.create(base + "/health/live")).GET().build());
        Rate enqueue = load("POST /api/jobs, 8 connections", 8, seconds, 0,
                n -> post(base + "/api/jobs", token, job(n), null));
        Rate get = load("GET /api/jobs/{id}, 8 connections", 8, seconds, 0,
                n -> HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + id))
                        .header("Authorization", "Bearer " + token).GET().build());
        String batch = batch(1000, 0, 0);
        Rate batches = load("POST /api/jobs/batch (1000), 4 clients", 4, seconds, 1000,
                n -> post(base + "/api/jobs/batch", token, batch, null));
        for (Rate r : List.of(live, enqueue, get, batches)) {
            System.out.println(r);
        }
        System.out.printf("GET /api/jobs/{id} / GET /health/live = %.0f %%%n", 100 * get.perSecond() / live.perSecond());
        System.out.println("compare POST /api/jobs with pgbench's single-row INSERT + commit, 8 clients, on the same "
                + "PostgreSQL (bench/README.md)");
    }

    interface Requests {
        HttpRequest make(long n);
    }

    static Rate load(String what, int connections, int seconds, int jobsPerRequest, Requests requests)
            throws Exception {
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        long end = warmEnd + seconds * 1_000_000_000L;
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicLong errors = new AtomicLong();
        AtomicLong counter = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        List<Future<?>> all = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            all.add(pool.submit(() -> {
                HttpClient http = client(); // one keep-alive connection per thread
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = send(http, requests.make(counter.incrementAndGet()));
                    long stop = System.nanoTime();
                    if (start >= warmEnd) {
                        latencies.add(stop - start);
                        if (r == null || r.statusCode() / 100 != 2) {
                            errors.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get(seconds + 120L, TimeUnit.SECONDS);
        }
        pool.shutdown();
        List<Long> l = new ArrayList<>(latencies);
        Collections.sort(l);
        double perSecond = l.size() / (double) seconds;
        return new Rate(what, perSecond, perSecond * jobsPerRequest, l.isEmpty() ? 0 : l.get(l.size() / 2) / 1e6,
                l.isEmpty() ? 0 : l.get((int) Math.min(l.size() - 1, l.size() * 0.99)) / 1e6, errors.get());
    }

    // ---------------------------------------------------------------- correctness

    static void correctness(String base, String token, int jobs, int clients) throws Exception {
        final int batchSize = 50;
        final int group = 4; // clients sending one keyed request together
        // one "unit" of work per client and step: single, keyed single, batch, keyed batch, in turn
        List<int[]> plan = new ArrayList<>(); // {kind, step}
        int planned = 0;
        int step = 0;
        while (planned < jobs) {
            int kind = step % 4;
            plan.add(new int[] {kind, step});
            planned += switch (kind) {
                case 0 -> clients;
                case 1 -> clients / group;
                case 2 -> clients * batchSize;
                default -> (clients / group) * batchSize;
            };
            step++;
        }
        // keys of this run only: a key of an earlier run would be answered with that run's jobs
        String run = "load-" + Long.toHexString(System.currentTimeMillis());
        Map<String, Set<List<Long>>> answersByKey = new ConcurrentHashMap<>();
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        AtomicLong requests = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<CountDownLatch> together = new ArrayList<>();
        for (int s = 0; s < plan.size(); s++) {
            together.add(new CountDownLatch(clients));
        }
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> all = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            all.add(pool.submit(() -> {
                HttpClient http = client();
                for (int s = 0; s < plan.size(); s++) {
                    together.get(s).countDown();
                    together.get(s).await(5, TimeUnit.MINUTES); // every client starts a step together
                    int kind = plan.get(s)[0];
                    int st = plan.get(s)[1];
                    String key = run + "-" + st + "-" + client / group; // shared by `group` clients
                    HttpRequest r = switch (kind) {
                        case 0 -> post(base + "/api/jobs", token, job(st * 1000L + client), null);
                        case 1 -> post(base + "/api/jobs", token, job(st), key);
                        case 2 -> post(base + "/api/jobs/batch", token, batch(batchSize, st, client), null);
                        default -> post(base + "/api/jobs/batch", token, batch(batchSize, st, client / group), key);
                    };
                    requests.incrementAndGet();
                    HttpResponse<String> answer = send(http, r);
                    if (answer == null || answer.statusCode() / 100 != 2) {
                        errors.incrementAndGet();
                        System.err.println("error: " + (answer == null ? "no answer" : answer.statusCode() + " "
                                + answer.body().substring(0, Math.min(300, answer.body().length()))));
                        continue;
                    }
                    List<Long> got = new ArrayList<>();
                    // the jobs' ids only: a replayed job's runs carry ids of their own
                    Matcher m = ID.matcher(RUNS.matcher(answer.body()).replaceAll("\"runs\":null"));
                    while (m.find()) {
                        got.add(Long.parseLong(m.group(1)));
                    }
                    ids.addAll(got);
                    if (kind == 1 || kind == 3) {
                        answersByKey.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(got);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get(30, TimeUnit.MINUTES);
        }
        pool.shutdown();
        double enqueueSeconds = (System.nanoTime() - t0) / 1e9;
        long keysWithOtherJobs = answersByKey.values().stream().filter(s -> s.size() != 1).count();
        long expected = plan.stream().mapToLong(p -> switch (p[0]) {
            case 0 -> clients;
            case 1 -> clients / group;
            case 2 -> (long) clients * batchSize;
            default -> (long) (clients / group) * batchSize;
        }).sum();
        System.out.printf("enqueued: %d requests by %d clients in %.1f s, %d jobs (expected %d), %d errors, "
                        + "%d keys answered with other jobs (duplicates)%n", requests.get(), clients, enqueueSeconds,
                ids.size(), expected, errors.get(), keysWithOtherJobs);

        // wait until every job ended (bounded), then read each one: done, with exactly one run
        HttpClient http = client();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < deadline) {
            // one row of each list, by index: cheap however many jobs the server holds
            HttpResponse<String> queued = send(http, HttpRequest.newBuilder(URI.create(base
                    + "/api/jobs?status=queued&limit=1")).header("Authorization", "Bearer " + token).GET().build());
            HttpResponse<String> running = send(http, HttpRequest.newBuilder(URI.create(base
                    + "/api/jobs?status=running&limit=1")).header("Authorization", "Bearer " + token).GET().build());
            if (queued != null && running != null && queued.body().contains("\"jobs\":[]")
                    && running.body().contains("\"jobs\":[]")) {
                break;
            }
            Thread.sleep(500);
        }
        List<Long> all2 = new ArrayList<>(ids);
        AtomicLong notDone = new AtomicLong();
        AtomicLong notOneRun = new AtomicLong();
        AtomicLong readErrors = new AtomicLong();
        ExecutorService readers = Executors.newFixedThreadPool(clients);
        List<Future<?>> reads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int from = c;
            reads.add(readers.submit(() -> {
                HttpClient h = client();
                for (int i = from; i < all2.size(); i += clients) {
                    HttpResponse<String> r = send(h, HttpRequest.newBuilder(URI.create(base + "/api/jobs/"
                            + all2.get(i))).header("Authorization", "Bearer " + token).GET().build());
                    if (r == null || r.statusCode() != 200) {
                        readErrors.incrementAndGet();
                        continue;
                    }
                    if (!r.body().contains("\"status\":\"done\"")) {
                        notDone.incrementAndGet();
                    }
                    int runs = r.body().split("\"attempt\":", -1).length - 1;
                    if (runs != 1) {
                        notOneRun.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : reads) {
            f.get(30, TimeUnit.MINUTES);
        }
        readers.shutdown();
        System.out.printf("after the drain: %d jobs read, %d not done, %d with other than one run, %d read errors%n",
                all2.size(), notDone.get(), notOneRun.get(), readErrors.get());
        boolean ok = errors.get() == 0 && keysWithOtherJobs == 0 && ids.size() == expected && notDone.get() == 0
                && notOneRun.get() == 0 && readErrors.get() == 0;
        System.out.println(ok ? "OK: 0 errors, 0 duplicates, every job done exactly once" : "NOT OK");
        System.exit(ok ? 0 : 1);
    }

    // ---------------------------------------------------------------- requests

    static String job(long n) {
        return "{\"agent\": \"true\", \"repo\": \"bench-" + (n % 16) + "\", \"payload\": {\"n\": " + n + "}}";
    }

    static String batch(int size, long step, long who) {
        StringBuilder b = new StringBuilder("{\"jobs\": [");
        for (int i = 0; i < size; i++) {
            b.append(i == 0 ? "" : ", ").append("{\"agent\": \"true\", \"repo\": \"bench-").append(i % 16)
                    .append("\", \"payload\": {\"step\": ").append(step).append(", \"who\": ").append(who)
                    .append(", \"i\": ").append(i).append("}}");
        }
        return b.append("]}").toString();
    }

    static HttpRequest post(String url, String token, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return b.build();
    }

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    static HttpResponse<String> send(HttpClient http, HttpRequest r) {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
