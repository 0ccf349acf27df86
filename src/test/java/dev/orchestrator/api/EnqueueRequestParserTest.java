package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnqueueRequestParserTest {
    @Test
    void parses_every_field() {
        EnqueueCommand c = EnqueueRequestParser.parse("""
                {"agent": "dev", "repo": "r", "payload": {"a": [1, 2]}, "priority": 5, "max_attempts": 4}""");
        assertThat(c).isEqualTo(new EnqueueCommand("dev", "r", "{\"a\":[1,2]}", 5, 4, null));
    }

    @Test
    void optional_fields_may_be_absent_or_null() {
        assertThat(EnqueueRequestParser.parse("{\"agent\": \"dev\", \"repo\": \"r\", \"payload\": null}"))
                .isEqualTo(new EnqueueCommand("dev", "r", null, null, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"agent\": 1, \"repo\": \"r\"}                          | agent        | must be a string",
        "{\"agent\": \"a\", \"repo\": [\"r\"]}                    | repo         | must be a string",
        "{\"agent\": \"a\", \"repo\": \"r\", \"priority\": \"5\"} | priority     | whole number",
        "{\"agent\": \"a\", \"repo\": \"r\", \"priority\": 1.5}   | priority     | whole number",
        "{\"agent\": \"a\", \"repo\": \"r\", \"max_attempts\": 99999999999} | max_attempts | out of range",
        "{\"agent\": \"a\", \"repo\": \"r\", \"max_attempt\": 3}  | max_attempt  | unknown field",
        "{\"agent\": \"a\", \"repo\": \"r\", \"command\": [\"rm\"]} | command    | unknown field",
    })
    void type_errors_name_the_field(String body, String field, String message) {
        assertThatThrownBy(() -> EnqueueRequestParser.parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo(field);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"agent\": | malformed JSON", "[1, 2] | expected a JSON object",
        "'   ' | request body is empty", "{\"a\": 1} x | malformed JSON"})
    void malformed_bodies_are_refused(String body, String message) {
        assertThatThrownBy(() -> EnqueueRequestParser.parse(body.equals("   ") ? "" : body))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining(message);
    }
}
