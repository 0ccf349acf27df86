package dev.orchestrator.service;

import dev.orchestrator.testing.NodeHarness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.domain.job.NewJob;
import org.junit.jupiter.api.Test;

/** Enqueue validation: every bad input is refused naming its field, before anything is written. */
class QueueServiceValidationTest {
    private final QueueService service = new QueueService(null, null, NodeHarness.agents(), null, 3);

    private void refused(EnqueueCommand c, String field, String message) {
        assertThatThrownBy(() -> service.validate(c)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo(field);
    }

    @Test
    void applies_defaults() {
        NewJob j = service.validate(new EnqueueCommand("ok", "repo", null, null, null, null));
        assertThat(j.payloadJson()).isEqualTo("{}");
        assertThat(j.priority()).isZero();
        assertThat(j.maxAttempts()).isEqualTo(3);
    }

    @Test
    void refuses_each_bad_field() {
        refused(new EnqueueCommand(null, "r", null, null, null, null), "agent", "agent is required");
        refused(new EnqueueCommand("rm-rf", "r", null, null, null, null), "agent", "unknown agent 'rm-rf'");
        refused(new EnqueueCommand("ok", null, null, null, null, null), "repo", "repo is required");
        refused(new EnqueueCommand("ok", "../etc", null, null, null, null), "repo", "repo must match");
        refused(new EnqueueCommand("ok", "r", null, 1001, null, null), "priority", "between -1000 and 1000");
        refused(new EnqueueCommand("ok", "r", null, null, 0, null), "max_attempts", "between 1 and 100");
        refused(new EnqueueCommand("ok", "r", "\"" + "x".repeat(QueueService.MAX_PAYLOAD_CHARS) + "\"", null, null, null),
                "payload", "larger than");
    }
}
