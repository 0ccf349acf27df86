package dev.orchestrator.domain.job;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.domain.agent.RepoName;
import java.lang.reflect.Field;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

/**
 * The listener's rule on its own (its wiring into EclipseLink is checked in the container by
 * OrchestratorIT): a queued entity never leaves with run ownership; other states are untouched.
 */
class RunOwnershipListenerTest {
    private static final OffsetDateTime NOW = OffsetDateTime.parse("2026-06-17T10:00:00Z");

    static Job job(String status) throws Exception {
        Job j = Job.enqueue(new NewJob("developer", new RepoName("orchestrator"), "{}", 0, 2, List.of()), NOW, null);
        set(j, "status", JobStatus.fromDb(status));
        set(j, "runId", 759L);
        set(j, "pid", 35L);
        set(j, "startedAt", NOW);
        set(j, "claimedBy", "node");
        return j;
    }

    static void set(Job j, String field, Object value) throws Exception {
        Field f = Job.class.getDeclaredField(field);
        f.setAccessible(true);
        f.set(j, value);
    }

    @Test
    void a_queued_job_carrying_run_ownership_is_normalised() throws Exception {
        Job j = job("queued");
        new RunOwnershipListener().normalise(j);
        assertThat(j.runId()).isNull();
        assertThat(j.pid()).isNull();
        assertThat(j.startedAt()).isNull();
        assertThat(j.claimedBy()).isNull();
        assertThat(j.hasRunOwnership()).isFalse();
    }

    @Test
    void a_running_job_keeps_its_ownership() throws Exception {
        Job j = job("running");
        new RunOwnershipListener().normalise(j);
        assertThat(j.pid()).isEqualTo(35L);
        assertThat(j.runId()).isEqualTo(759L);
    }

    @Test
    void retry_of_a_failed_job_returns_it_to_queued_owning_nothing_once_the_listener_ran() throws Exception {
        Job j = job("failed");
        j.retry(NOW.plusMinutes(1));
        new RunOwnershipListener().normalise(j); // what EclipseLink runs on @PreUpdate
        assertThat(j.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(j.hasRunOwnership()).isFalse();
        assertThat(j.attempts()).isZero();
        assertThat(j.finishedAt()).isNull();
    }

    @Test
    void retry_itself_leaves_the_owner_reset_to_the_listener() throws Exception {
        Job j = job("cancelled");
        j.retry(NOW.plusMinutes(1));
        assertThat(j.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(j.hasRunOwnership()).as("the finished run's history, until the hook releases it").isTrue();
    }

    @Test
    void only_a_failed_or_cancelled_job_can_be_retried_and_only_a_queued_one_cancelled() throws Exception {
        for (String status : new String[] {"queued", "running", "done"}) {
            Job j = job(status);
            assertThat(j.canRetry()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> j.retry(NOW))
                    .isInstanceOf(IllegalJobTransitionException.class);
        }
        for (String status : new String[] {"running", "done", "failed", "cancelled"}) {
            Job j = job(status);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> j.cancel("x", NOW))
                    .isInstanceOf(IllegalJobTransitionException.class);
        }
        Job queued = job("queued");
        queued.cancel("cancelled by operator", NOW);
        assertThat(queued.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(queued.error()).isEqualTo("cancelled by operator");
        assertThat(queued.finishedAt()).isEqualTo(NOW);
    }

    @Test
    void a_new_job_is_queued_and_available_at_once() {
        Job j = Job.enqueue(new NewJob("a", new RepoName("r"), "{\"x\":1}", 3, 5, List.of()), NOW, null);
        assertThat(j.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(j.availableAt()).isEqualTo(NOW);
        assertThat(j.priority()).isEqualTo(3);
        assertThat(j.maxAttempts()).isEqualTo(5);
        assertThat(j.hasRunOwnership()).isFalse();
    }
}
