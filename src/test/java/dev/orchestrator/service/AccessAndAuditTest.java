package dev.orchestrator.service;

import dev.orchestrator.store.EnqueueStore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.access.Caller;
import dev.orchestrator.domain.access.RepoScope;
import dev.orchestrator.domain.access.Role;
import dev.orchestrator.domain.agent.RepoName;
import dev.orchestrator.domain.audit.AuditEvent;
import dev.orchestrator.domain.job.JobRepository;
import dev.orchestrator.testing.NodeHarness;
import dev.orchestrator.testing.NodeHarnessExtension;
import dev.orchestrator.testing.QueueFixture;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Repo-scoped tokens on enqueue, listing, look-up and control, and the audit trail of every control action. */
class AccessAndAuditTest {
    @RegisterExtension
    final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -> b.killGraceSeconds(2));

    private static final Caller OPS = new Caller("ops", Role.ADMIN.withIncluded(), RepoScope.all(), "10.0.0.1");
    private static final Caller TEAM_A = new Caller("team-a", Role.OPERATE.withIncluded(),
            new RepoScope(List.of("team_a-*")), "10.0.0.2");

    private NodeHarness h;
    private QueueService queue;
    private JobControl control;
    private AuditTrail audit;

    @BeforeEach
    void setUp() {
        h = nodes.harness();
        h.start("n1");
        h.node().lease().heartbeat();
        h.control().pause(Optional.empty(), OPS); // nothing gets claimed while these tests look at queued jobs
        queue = new QueueService(QueueFixture.jobs(), new EnqueueStore(h.f.ds), NodeHarness.agents(), h.node(), 3);
        control = h.control();
        audit = new AuditTrail(h.node().stores().audit(), h.f.clock);
    }

    private long enqueue(String repo, Caller caller) {
        return queue.enqueue(new EnqueueCommand("ok", repo, null, null, null, null), null, caller).job().id();
    }

    private List<AuditEvent> trail(String actor) {
        return audit.page(new AuditTrail.Filter(actor, null, null, null, null), null, 100).events();
    }

    @Test
    void a_job_records_who_submitted_it() {
        long id = enqueue("team_a-web", TEAM_A);
        assertThat(queue.job(id, OPS).orElseThrow().job().submittedBy()).isEqualTo("team-a");
    }

    @Test
    void a_scoped_token_cannot_enqueue_outside_its_repos_and_nothing_is_written() {
        long before = h.f.db.count("SELECT count(*) FROM jobs");
        assertThatThrownBy(() -> enqueue("teamXa-web", TEAM_A)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("may not enqueue for repo 'teamXa-web'");
        assertThat(h.f.db.count("SELECT count(*) FROM jobs")).isEqualTo(before);
        assertThat(trail("team-a")).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo("enqueue");
            assertThat(e.result()).isEqualTo(AuditEvent.Result.FORBIDDEN);
            assertThat(e.target()).isEqualTo("repo:teamXa-web");
            assertThat(e.clientAddress()).isEqualTo("10.0.0.2");
        });
    }

    @Test
    void a_scoped_token_sees_and_controls_only_its_repos() {
        long mine = enqueue("team_a-web", OPS);
        long other = enqueue("team-b-web", OPS);
        long lookalike = enqueue("teamXa-web", OPS); // '_' in the pattern is literal, not LIKE's any-character

        assertThat(queue.list(new JobRepository.ListFilter(null, null, null), null, 50, TEAM_A).jobs())
                .extracting(j -> j.id()).containsExactly(mine);
        assertThat(queue.list(new JobRepository.ListFilter(null, null, null), null, 50, OPS).jobs())
                .extracting(j -> j.id()).contains(mine, other, lookalike);
        h.f.db.execute("UPDATE jobs SET status = 'running', claimed_by = 'elsewhere', started_at = now() WHERE id IN ("
                + mine + ", " + other + ")");
        assertThat(queue.overview(TEAM_A).running()).extracting(j -> j.id()).containsExactly(mine);
        assertThat(queue.overview(OPS).running()).extracting(j -> j.id()).containsExactlyInAnyOrder(mine, other);
        h.f.db.execute("UPDATE jobs SET status = 'queued', claimed_by = NULL, started_at = NULL WHERE id IN ("
                + mine + ", " + other + ")");
        assertThat(queue.job(other, TEAM_A)).isEmpty();
        assertThat(queue.job(lookalike, TEAM_A)).isEmpty();
        assertThat(queue.job(mine, TEAM_A)).isPresent();

        assertThat(control.cancel(other, TEAM_A).result()).isEqualTo(JobControl.Result.NOT_FOUND);
        assertThat(control.retry(other, TEAM_A).result()).isEqualTo(JobControl.Result.NOT_FOUND);
        assertThat(h.job(other).status()).isEqualTo("queued");
        assertThat(control.cancel(mine, TEAM_A).result()).isEqualTo(JobControl.Result.DONE);

        assertThatThrownBy(() -> control.pause(Optional.empty(), TEAM_A)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("may not pause everything");
        assertThatThrownBy(() -> control.pause(Optional.of(new RepoName("team-b-web")), TEAM_A))
                .isInstanceOf(AccessDeniedException.class);
        control.pause(Optional.of(new RepoName("team_a-web")), TEAM_A);
        assertThat(control.pauses()).containsExactly("*", "repo:team_a-web");

        assertThat(trail("team-a")).extracting(e -> e.action() + " " + e.target() + " " + e.result().db())
                .containsExactly(
                        "pause repo:team_a-web done",
                        "pause repo:team-b-web forbidden",
                        "pause * forbidden",
                        "cancel job:" + mine + " done",
                        "retry job:" + other + " not_found",
                        "cancel job:" + other + " not_found");
    }

    @Test
    void every_control_action_and_its_outcome_is_in_the_trail_newest_first_in_keyset_pages() {
        long id = enqueue("r1", OPS);
        control.cancel(id, OPS);
        control.cancel(id, OPS);
        control.retry(id, OPS);
        control.retry(id, OPS);
        control.cancel(987654L, OPS);
        control.resume(Optional.of(new RepoName("r1")), OPS);

        List<AuditEvent> all = trail("ops");
        assertThat(all).extracting(e -> e.action() + " " + e.target() + " " + e.result().db() + " " + e.detail())
                .containsExactly(
                        "resume repo:r1 done null",
                        "cancel job:987654 not_found null",
                        "retry job:" + id + " conflict job is queued",
                        "retry job:" + id + " done back to queued",
                        "cancel job:" + id + " conflict job is cancelled",
                        "cancel job:" + id + " done queued job cancelled",
                        "pause * done null");
        AuditTrail.Page first = audit.page(new AuditTrail.Filter("ops", null, null, null, null), null, 3);
        assertThat(first.events()).containsExactlyElementsOf(all.subList(0, 3));
        AuditTrail.Page second = audit.page(new AuditTrail.Filter("ops", null, null, null, null), first.nextCursor(), 3);
        assertThat(second.events()).containsExactlyElementsOf(all.subList(3, 6));
        AuditTrail.Page last = audit.page(new AuditTrail.Filter("ops", null, null, null, null), second.nextCursor(), 3);
        assertThat(last.events()).containsExactlyElementsOf(all.subList(6, 7));
        assertThat(last.nextCursor()).isNull();
        assertThat(audit.page(new AuditTrail.Filter(null, "retry", "job:" + id, "conflict", null), null, 10).events())
                .hasSize(1);
        assertThatThrownBy(() -> audit.page(new AuditTrail.Filter(null, null, null, "maybe", null), null, 10))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("result must be one of");
    }

    @Test
    void an_action_and_its_audit_row_commit_together_or_not_at_all() {
        long queued = enqueue("r2", OPS);
        h.f.db.execute("ALTER TABLE audit_events RENAME TO audit_events_away");
        try {
            assertThatThrownBy(() -> control.cancel(queued, OPS)).isInstanceOf(RuntimeException.class);
            assertThatThrownBy(() -> control.resume(Optional.empty(), OPS)).isInstanceOf(RuntimeException.class);
        } finally {
            h.f.db.execute("ALTER TABLE audit_events_away RENAME TO audit_events");
        }
        assertThat(h.job(queued).status()).as("the cancel was rolled back with its audit row").isEqualTo("queued");
        assertThat(control.pauses()).as("the resume was rolled back with its audit row").containsExactly("*");
    }

    @Test
    void an_idempotency_key_of_another_client_is_refused_without_showing_its_job() {
        EnqueueCommand cmd = new EnqueueCommand("ok", "r3", null, null, null, null);
        long first = queue.enqueue(cmd, "key-alpha", OPS).job().id();
        assertThat(queue.enqueue(cmd, "key-alpha", OPS).replayed()).isTrue();
        assertThatThrownBy(() -> queue.enqueue(cmd, "key-alpha", new Caller("other", Set.of(Role.READ, Role.SUBMIT),
                RepoScope.all(), null))).isInstanceOf(ConflictException.class)
                .hasMessageContaining("already used by another client").hasMessageNotContaining(Long.toString(first));
    }

    @Test
    void retention_prunes_audit_events_older_than_the_setting() {
        h.f.db.execute("INSERT INTO audit_events (at, actor, action, target, result) VALUES "
                + "(now() - interval '91 days', 'old', 'pause', '*', 'done'), (now(), 'new', 'pause', '*', 'done')");
        assertThat(h.node().retention().pruneAuditOnce()).isEqualTo(1);
        assertThat(trail("old")).isEmpty();
        assertThat(trail("new")).hasSize(1);
    }
}
