package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.job.ClaimPolicy;
import dev.orchestrator.domain.job.ClaimableJob;
import dev.orchestrator.domain.job.ClaimedJob;
import dev.orchestrator.domain.job.Gate;
import dev.orchestrator.domain.job.Hold;
import dev.orchestrator.testing.Actors;
import dev.orchestrator.testing.QueueFixture;
import dev.orchestrator.testing.TestJobs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code waiting_for} agrees with the claim over randomised states on real PostgreSQL: the job the
 * next claim takes is the first (in claim order) of those reported {@code nothing}; there is no claim
 * exactly when none is; every job the claim skipped names a gate, and each gate named holds it by
 * the test's own reading of the state. The counts per gate add up to the same answers. Each state
 * is drained claim by claim, checking before every claim.
 */
class WaitingForAgreementTest {
    private static final long SEED = 0x5EED_0009L;
    private static final int STATES = 120;
    private static final List<String> REPOS = List.of("a", "b", "c");
    private static final List<String> AGENTS = List.of("x", "y", "z");

    private QueueFixture f;

    @BeforeEach
    void setUp() {
        f = new QueueFixture();
    }

    /** The generated state, as the test knows it. */
    private static final class State {
        final Map<Long, String> status = new HashMap<>();
        final Map<Long, String> repo = new HashMap<>();
        final Map<Long, String> agent = new HashMap<>();
        final Map<Long, Integer> priority = new HashMap<>();
        final Map<Long, Instant> availableAt = new HashMap<>();
        final Map<Long, Boolean> cancelRequested = new HashMap<>();
        final Map<Long, List<Long>> deps = new HashMap<>();
        final Set<String> pauses = new java.util.TreeSet<>();
    }

    @Test
    void waiting_for_agrees_with_the_claim_over_random_states() {
        Random random = new Random(SEED);
        int claims = 0;
        int skippedChecked = 0;
        Map<Gate, Integer> gatesSeen = new EnumMap<>(Gate.class);
        for (int i = 0; i < STATES; i++) {
            f.db.reset();
            State s = new State();
            ClaimPolicy policy = generate(random, s);
            String context = "state " + i + " (seed " + SEED + "), policy " + policy;
            for (int step = 0; step < 30; step++) {
                Map<Long, List<Hold>> holds = new TreeMap<>();
                s.status.forEach((id, st) -> {
                    if (st.equals("queued")) {
                        holds.put(id, f.claims.holds(id, f.clock.instant(), policy).orElseThrow());
                    }
                });
                holds.values().forEach(l -> l.forEach(h -> gatesSeen.merge(h.gate(), 1, Integer::sum)));
                checkCounts(holds, policy, context);
                checkClaimable(holds, policy, context);

                Optional<ClaimedJob> claim = f.claims.claimNext(f.node.id(), f.clock.instant(), policy);
                List<Long> nothing = holds.entrySet().stream()
                        .filter(e -> e.getValue().equals(List.of(Hold.nothing()))).map(Map.Entry::getKey).toList();
                if (claim.isEmpty()) {
                    assertThat(nothing).as(context + ": no claim, so no job may report nothing").isEmpty();
                    break;
                }
                claims++;
                long taken = claim.get().id();
                assertThat(holds.get(taken)).as(context + ": the claimed job " + taken + " reports nothing")
                        .containsExactly(Hold.nothing());
                List<Long> order = holds.keySet().stream()
                        .sorted(Comparator.comparing((Long id) -> -s.priority.get(id)).thenComparing(id -> id)).toList();
                for (long skipped : order.subList(0, order.indexOf(taken))) {
                    List<Hold> h = holds.get(skipped);
                    assertThat(h).as(context + ": job " + skipped + " was skipped, so a gate holds it").isNotEmpty()
                            .noneMatch(x -> x.gate() == Gate.NOTHING || x.gate() == Gate.CAPACITY);
                    h.forEach(x -> assertHolds(s, policy, skipped, x, context));
                    skippedChecked++;
                }
                s.status.put(taken, "running");
                if (random.nextInt(3) == 0) { // sometimes a running job ends, which frees a slot and a repo
                    List<Long> running = s.status.entrySet().stream().filter(e -> e.getValue().equals("running"))
                            .map(Map.Entry::getKey).sorted().toList();
                    long done = running.get(random.nextInt(running.size()));
                    f.db.execute("UPDATE jobs SET status = 'done', finished_at = now() WHERE id = " + done);
                    s.status.put(done, "done");
                }
            }
        }
        assertThat(claims).as("the states exercise the claim").isGreaterThan(STATES / 2);
        assertThat(skippedChecked).as("the states make the claim skip jobs").isGreaterThan(STATES / 2);
        assertThat(gatesSeen.keySet()).as("every gate shows up in some state").containsAll(Set.of(Gate.values()));
    }

    /**
     * The same agreement behind large backlogs (ADR 0009), where the claim reads lanes rather than
     * jobs: 1,000 queued jobs of a busy repo, 1,000 waiting on a running dependency, 1,000 of an agent
     * at its limit, 300 backed off and 50 with a cancel pending, with random jobs among them. Before
     * every claim: the job taken is the first, in claim order, of those {@code claimable} lists (the
     * {@code {claimable}} predicate), its explanation is {@code nothing}, and a job of each backlog
     * is explained by its gate.
     */
    @Test
    void behind_large_backlogs_the_claim_takes_the_first_job_waiting_for_nothing() {
        Random random = new Random(SEED + 1);
        int claims = 0;
        for (int state = 0; state < 4; state++) {
            f.db.reset();
            Instant now = f.clock.instant();
            long busy = f.job().repo("busy").status("running").claimedBy("other").startedAt(now).insert();
            long dep = f.job().repo("dep").status("running").claimedBy("other").startedAt(now).insert();
            f.job().repo("slowrepo").agent("slow").status("running").claimedBy("other").startedAt(now).insert();
            String insert = "INSERT INTO jobs (agent, repo, priority, available_at, cancel_requested, created_at,"
                    + " updated_at) SELECT ";
            f.db.execute(insert + "'x', 'busy', g % 3, " + f.pastLiteral() + ", false, now(), now()"
                    + " FROM generate_series(1, 1000) g");
            f.db.execute(insert + "'y', 'w' || (g % 20), g % 3, " + f.pastLiteral() + ", false, now(), now()"
                    + " FROM generate_series(1, 1000) g");
            f.db.execute("INSERT INTO job_dependencies (job_id, depends_on) SELECT id, " + dep
                    + " FROM jobs WHERE repo LIKE 'w%'");
            f.db.execute(insert + "'slow', 's' || (g % 20), g % 3, " + f.pastLiteral() + ", false, now(), now()"
                    + " FROM generate_series(1, 1000) g");
            f.db.execute(insert + "'x', 'bo' || (g % 20), g % 3, TIMESTAMPTZ '" + now.plusSeconds(3600)
                    + "', false, now(), now() FROM generate_series(1, 300) g");
            f.db.execute(insert + "'z', 'cx' || (g % 20), g % 3, " + f.pastLiteral() + ", true, now(), now()"
                    + " FROM generate_series(1, 50) g");
            for (int j = 0; j < 40; j++) {
                f.job().repo(REPOS.get(random.nextInt(REPOS.size()))).agent(AGENTS.get(random.nextInt(AGENTS.size())))
                        .priority(random.nextInt(3)).availableAt(now.minusSeconds(random.nextInt(600))).insert();
            }
            ClaimPolicy policy = new ClaimPolicy(5 + random.nextInt(3), true, random.nextInt(4) != 0,
                    Map.of("slow", 1));
            String context = "large state " + state + ", policy " + policy;
            Map<Gate, Long> example = Map.of(
                    Gate.REPO_BUSY, f.db.count("SELECT max(id) FROM jobs WHERE repo = 'busy' AND status = 'queued'"),
                    Gate.AGENT_LIMIT, f.db.count("SELECT max(id) FROM jobs WHERE agent = 'slow' AND status = 'queued'"),
                    Gate.BACKOFF, f.db.count("SELECT max(id) FROM jobs WHERE repo LIKE 'bo%'"),
                    Gate.CANCEL_REQUESTED, f.db.count("SELECT max(id) FROM jobs WHERE cancel_requested"));
            for (int step = 0; step < 25; step++) {
                for (Map.Entry<Gate, Long> e : example.entrySet()) {
                    if (e.getKey() == Gate.REPO_BUSY && step > 18) {
                        continue; // the busy repo's running job has ended
                    }
                    assertThat(f.claims.holds(e.getValue(), f.clock.instant(), policy).orElseThrow())
                            .as(context + ": job " + e.getValue()).extracting(Hold::gate).contains(e.getKey());
                }
                List<ClaimableJob> claimable = f.claims.claimable(f.clock.instant(), policy, 100_000);
                Optional<Long> first = claimable.stream()
                        .sorted(Comparator.comparing((ClaimableJob c) -> -c.priority()).thenComparing(ClaimableJob::id))
                        .map(ClaimableJob::id).findFirst();
                boolean full = f.db.count("SELECT count(*) FROM jobs WHERE status = 'running'") >= policy.maxConcurrency();
                Optional<ClaimedJob> claim = f.claims.claimNext(f.node.id(), f.clock.instant(), policy);
                assertThat(claim.map(ClaimedJob::id)).as(context + ", step " + step)
                        .isEqualTo(full ? Optional.empty() : first);
                if (claim.isPresent()) {
                    claims++;
                    f.db.execute("UPDATE jobs SET status = 'done', finished_at = now() WHERE id = " + claim.get().id());
                }
                if (step == 10) { // the dependency ends: its 1,000 dependants enter the ready lanes
                    f.db.execute("UPDATE jobs SET status = 'done', finished_at = now() WHERE id = " + dep);
                }
                if (step == 15) { // and by operator SQL it is not done after all: they wait again
                    f.db.execute("UPDATE jobs SET status = 'failed' WHERE id = " + dep);
                }
                if (step == 18) {
                    f.db.execute("UPDATE jobs SET status = 'done', finished_at = now() WHERE id = " + busy);
                }
            }
            TestStatements.assertClaimBookkeepingExact(f.ds, context);
        }
        assertThat(claims).as("the large states exercise the claim").isGreaterThan(40);
    }

    /** A gate the store names must hold the job by the test's own reading of the state. */
    private void assertHolds(State s, ClaimPolicy policy, long id, Hold h, String context) {
        String why = context + ": job " + id + " held by " + h;
        switch (h.gate()) {
            case REPO_BUSY -> {
                assertThat(policy.serialGate()).as(why).isTrue();
                assertThat(h.jobs()).as(why).isNotEmpty().allMatch(r -> s.status.get(r).equals("running")
                        && s.repo.get(r).equals(s.repo.get(id)));
            }
            case DEPENDENCY -> {
                assertThat(policy.dependencyGate()).as(why).isTrue();
                assertThat(h.jobs()).as(why).isNotEmpty().containsExactlyElementsOf(s.deps.getOrDefault(id, List.of())
                        .stream().filter(d -> !s.status.get(d).equals("done")).sorted().toList());
            }
            case AGENT_LIMIT -> {
                assertThat(h.agent()).as(why).isEqualTo(s.agent.get(id));
                long running = s.status.entrySet().stream().filter(e -> e.getValue().equals("running")
                        && s.agent.get(e.getKey()).equals(h.agent())).count();
                assertThat(h.running()).as(why).isEqualTo(running);
                assertThat(h.limit()).as(why).isEqualTo(policy.agentLimits().get(h.agent())).isLessThanOrEqualTo(
                        (int) running);
            }
            case PAUSED -> assertThat(h.scopes()).as(why).isNotEmpty().isSubsetOf(s.pauses)
                    .allMatch(p -> p.equals("*") || p.equals("repo:" + s.repo.get(id)));
            case BACKOFF -> assertThat(h.until()).as(why).isEqualTo(s.availableAt.get(id)).isAfter(f.clock.instant());
            case CANCEL_REQUESTED -> assertThat(s.cancelRequested.get(id)).as(why).isTrue();
            default -> throw new AssertionError(why);
        }
    }

    /** The counts per gate are the per-job answers added up. */
    private void checkCounts(Map<Long, List<Hold>> holds, ClaimPolicy policy, String context) {
        Map<Gate, Long> expected = new EnumMap<>(Gate.class);
        for (Gate g : Gate.values()) {
            expected.put(g, 0L);
        }
        holds.values().forEach(l -> l.forEach(h -> expected.merge(h.gate(), 1L, Long::sum)));
        assertThat(f.claims.gateCounts(f.clock.instant(), policy)).as(context + ": counts per gate")
                .isEqualTo(expected);
    }

    /** The claimable list holds exactly the jobs reported nothing or capacity. */
    private void checkClaimable(Map<Long, List<Hold>> holds, ClaimPolicy policy, String context) {
        Set<Long> expected = holds.entrySet().stream().filter(e -> e.getValue().size() == 1
                && (e.getValue().get(0).gate() == Gate.NOTHING || e.getValue().get(0).gate() == Gate.CAPACITY))
                .map(Map.Entry::getKey).collect(Collectors.toSet());
        assertThat(f.claims.claimable(f.clock.instant(), policy, 1000)).as(context + ": claimable jobs")
                .extracting(ClaimableJob::id).containsExactlyInAnyOrderElementsOf(expected);
    }

    private ClaimPolicy generate(Random r, State s) {
        Instant now = f.clock.instant();
        int jobs = 1 + r.nextInt(12);
        for (int j = 0; j < jobs; j++) {
            String repo = REPOS.get(r.nextInt(REPOS.size()));
            String agent = AGENTS.get(r.nextInt(AGENTS.size()));
            int roll = r.nextInt(10);
            String status = roll < 6 ? "queued" : roll < 8 ? "running" : roll < 9 ? "done" : "failed";
            Instant available = r.nextInt(5) == 0 ? now.plusSeconds(1 + r.nextInt(600))
                    : now.minusSeconds(r.nextInt(3600));
            int priority = r.nextInt(3);
            TestJobs t = f.job().repo(repo).agent(agent).status(status).priority(priority)
                    .availableAt(status.equals("queued") ? available : now.minusSeconds(7200));
            if (status.equals("running")) {
                t.claimedBy(f.node.id()).startedAt(now.minusSeconds(60));
            } else if (!status.equals("queued")) {
                t.finishedAt(now.minusSeconds(30));
            }
            long id = t.insert();
            s.status.put(id, status);
            s.repo.put(id, repo);
            s.agent.put(id, agent);
            s.priority.put(id, priority);
            s.availableAt.put(id, status.equals("queued") ? available : now.minusSeconds(7200));
            boolean cancel = status.equals("queued") && r.nextInt(15) == 0;
            if (cancel) {
                f.db.execute("UPDATE jobs SET cancel_requested = true WHERE id = " + id);
            }
            s.cancelRequested.put(id, cancel);
            List<Long> earlier = new ArrayList<>(s.status.keySet());
            earlier.remove(id);
            if (status.equals("queued") && !earlier.isEmpty() && r.nextInt(3) == 0) {
                java.util.Collections.shuffle(earlier, r);
                List<Long> deps = earlier.subList(0, 1 + r.nextInt(Math.min(3, earlier.size()))).stream()
                        .sorted().toList();
                for (long d : deps) {
                    f.db.execute("INSERT INTO job_dependencies (job_id, depends_on) VALUES (" + id + ", " + d + ")");
                }
                s.deps.put(id, deps);
            }
        }
        if (r.nextInt(6) == 0) {
            f.control.pause("*", now, Actors.event("pause", "*"));
            s.pauses.add("*");
        }
        for (String repo : REPOS) {
            if (r.nextInt(6) == 0) {
                f.control.pause("repo:" + repo, now, Actors.event("pause", "repo:" + repo));
                s.pauses.add("repo:" + repo);
            }
        }
        Map<String, Integer> limits = new LinkedHashMap<>();
        for (String agent : AGENTS) {
            if (r.nextInt(3) == 0) {
                limits.put(agent, 1 + r.nextInt(2));
            }
        }
        return new ClaimPolicy(1 + r.nextInt(6), r.nextInt(4) != 0, r.nextInt(4) != 0, limits);
    }
}
