package dev.orchestrator.domain.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JobStatusTest {
    @Test
    void the_transition_table_allows_exactly_the_designed_moves() {
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.RUNNING)).isTrue();
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.DONE)).isFalse();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.QUEUED)).isTrue();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.DONE)).isTrue();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.FAILED)).isTrue();
        assertThat(JobStatus.DONE.canMoveTo(JobStatus.QUEUED)).isFalse();
        assertThat(JobStatus.FAILED.canMoveTo(JobStatus.QUEUED)).isTrue();
        assertThat(JobStatus.CANCELLED.canMoveTo(JobStatus.RUNNING)).isFalse();
    }

    @Test
    void an_illegal_move_is_refused_with_a_message_naming_job_and_states() {
        assertThatThrownBy(() -> JobStatus.DONE.checkMoveTo(JobStatus.RUNNING, 42))
                .isInstanceOf(IllegalJobTransitionException.class)
                .hasMessage("job 42: illegal transition done -> running");
    }

    @Test
    void database_words_round_trip() {
        for (JobStatus s : JobStatus.values()) {
            assertThat(JobStatus.fromDb(s.db())).isEqualTo(s);
        }
        assertThatThrownBy(() -> JobStatus.fromDb("paused")).hasMessageContaining("paused");
    }
}
