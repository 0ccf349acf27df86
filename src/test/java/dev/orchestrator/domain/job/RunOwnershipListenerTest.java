package dev.orchestrator.domain.job;

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
        Job j = Job.enqueue(new NewJob("developer", new RepoName("orchestrator"), "{}", 0, 2), NOW);
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
    void retry_of_a_failed_job_returns_it_to_queued_owning_nothing() throws Exception {
        Job j = job("failed");
        j.retry(NOW.plusMinutes(1));
        assertThat(j.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(j.hasRunOwnership()).isFalse();
        assertThat(j.attempts()).isZero();
        assertThat(j.finishedAt()).isNull();
    }

    @Test
    void a_new_job_is_queued_and_available_at_once() {
        Job j = Job.enqueue(new NewJob("a", new RepoName("r"), "{\"x\":1}", 3, 5), NOW);
        assertThat(j.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(j.availableAt()).isEqualTo(NOW);
        assertThat(j.priority()).isEqualTo(3);
        assertThat(j.maxAttempts()).isEqualTo(5);
        assertThat(j.hasRunOwnership()).isFalse();
    }
}
