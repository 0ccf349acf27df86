package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.service.EnqueueBatchCommand;
import dev.orchestrator.service.EnqueueCommand;
import dev.orchestrator.service.InvalidBatchException;
import dev.orchestrator.service.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnqueueRequestParserTest {
    private static EnqueueCommand parse(String body) {
        return EnqueueRequestParser.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] concat(String before, byte[] middle, String after) {
        byte[] a = before.getBytes(StandardCharsets.UTF_8);
        byte[] c = after.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[a.length + middle.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(middle, 0, out, a.length, middle.length);
        System.arraycopy(c, 0, out, a.length + middle.length, c.length);
        return out;
    }
    @Test
    void parses_every_field() {
        EnqueueCommand c = parse("""
                {"agent": "dev", "repo": "r", "payload": {"a": [1, 2]}, "priority": 5, "max_attempts": 4}""");
        assertThat(c).isEqualTo(new EnqueueCommand("dev", "r", "{\"a\":[1,2]}", 5, 4, null));
    }

    @Test
    void optional_fields_may_be_absent_or_null() {
        assertThat(parse("{\"agent\": \"dev\", \"repo\": \"r\", \"payload\": null}"))
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
        assertThatThrownBy(() -> parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(message)
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo(field);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{\"agent\": | malformed JSON", "[1, 2] | expected a JSON object",
        "'   ' | request body is empty", "{\"a\": 1} x | malformed JSON"})
    void malformed_bodies_are_refused(String body, String message) {
        assertThatThrownBy(() -> parse(body.equals("   ") ? "" : body))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"agent\": \"nope\", \"agent\": \"ok\", \"repo\": \"r\"}                         | agent   | agent",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": {\"k\": 1, \"k\": 2}}               | payload | k",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": [{\"x\": {\"y\": 1, \"y\": 1}}]}    | payload | y",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": {\"k\": 1}, \"payload\": {}}         | payload | payload",
    })
    void duplicate_keys_are_refused_at_any_depth(String body, String field, String key) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("duplicate key '" + key + "'")
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo(field);
    }

    @Test
    void the_same_key_in_sibling_objects_is_not_a_duplicate() {
        EnqueueCommand c = parse("{\"agent\": \"a\", \"repo\": \"r\", \"payload\": [{\"k\": 1}, {\"k\": 2}, "
                + "{\"agent\": \"x\"}]}");
        assertThat(c.payloadJson()).isEqualTo("[{\"k\":1},{\"k\":2},{\"agent\":\"x\"}]");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": \"\\ud800\"}",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": {\"x\": \"ab\\udc00cd\"}}",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": {\"\\ud83d\": 1}}",
        "{\"agent\": \"a\\ud800\", \"repo\": \"r\"}",
        "{\"agent\": \"a\", \"repo\": \"r\", \"payload\": \"\\ude00\\ud83d\"}",
    })
    void lone_surrogate_escapes_are_refused(String body) {
        assertThatThrownBy(() -> parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("lone surrogate");
    }

    @Test
    void an_escaped_surrogate_pair_is_one_character_and_kept() {
        EnqueueCommand c = parse("{\"agent\": \"a\", \"repo\": \"r\", \"payload\": \"\\ud83d\\ude00\"}");
        assertThat(c.payloadJson()).isEqualTo("\"\uD83D\uDE00\"");
    }

    @Test
    void raw_utf8_text_is_kept_exactly() {
        EnqueueCommand c = parse("{\"agent\": \"a\", \"repo\": \"r\", \"payload\": \"h\u00e9 \u4e2d \uD83D\uDE00\"}");
        assertThat(c.payloadJson()).isEqualTo("\"h\u00e9 \u4e2d \uD83D\uDE00\"");
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> invalid_utf8() {
        return java.util.stream.Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("lone continuation byte", bytes(0x80)),
                org.junit.jupiter.params.provider.Arguments.of("0xff", bytes(0xff)),
                org.junit.jupiter.params.provider.Arguments.of("truncated two-byte sequence", bytes(0xc3)),
                org.junit.jupiter.params.provider.Arguments.of("overlong slash", bytes(0xc0, 0xaf)),
                org.junit.jupiter.params.provider.Arguments.of("UTF-8-encoded high surrogate", bytes(0xed, 0xa0, 0x80)),
                org.junit.jupiter.params.provider.Arguments.of("UTF-8-encoded low surrogate", bytes(0xed, 0xb0, 0x80)),
                org.junit.jupiter.params.provider.Arguments.of("above U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80)),
                org.junit.jupiter.params.provider.Arguments.of("latin-1 e-acute", bytes(0xe9)));
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("invalid_utf8")
    void invalid_utf8_in_the_body_is_refused_not_replaced(String name, byte[] bad) {
        byte[] body = concat("{\"agent\": \"a\", \"repo\": \"r\", \"payload\": \"x", bad, "y\"}");
        assertThatThrownBy(() -> EnqueueRequestParser.parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void invalid_utf8_outside_strings_is_refused_as_well() {
        byte[] body = concat("{\"agent\": \"a\", \"repo\": \"r\"}", bytes(0xff), "");
        assertThatThrownBy(() -> EnqueueRequestParser.parse(body))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    // ------------------------------------------------------------------ batches

    private static EnqueueBatchCommand batch(String body) {
        return EnqueueRequestParser.parseBatch(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void a_batch_reads_every_job_with_its_earlier_items() {
        EnqueueBatchCommand b = batch("{\"jobs\": [{\"agent\": \"a\", \"repo\": \"r\", \"payload\": {\"x\": 1}},"
                + " {\"agent\": \"a\", \"repo\": \"s\", \"priority\": 3, \"max_attempts\": 2,"
                + " \"depends_on\": [7], \"depends_on_index\": [0]}]}");
        assertThat(b.errors()).isEmpty();
        assertThat(b.jobs()).containsExactly(
                new EnqueueCommand("a", "r", "{\"x\":1}", null, null, null, null),
                new EnqueueCommand("a", "s", null, 3, 2, java.util.List.of(7L), java.util.List.of(0)));
    }

    @Test
    void every_bad_item_of_a_batch_is_named_by_index_and_field() {
        EnqueueBatchCommand b = batch("{\"jobs\": [{\"agent\": \"a\", \"repo\": \"r\"}, 17,"
                + " {\"agent\": 1, \"repo\": \"r\", \"priority\": \"high\"},"
                + " {\"agent\": \"a\", \"repo\": \"r\", \"max_attempt\": 3},"
                + " {\"agent\": \"a\", \"repo\": \"r\", \"depends_on_index\": [-1]},"
                + " {\"agent\": \"a\", \"repo\": \"r\", \"depends_on\": \"1\"}]}");
        assertThat(b.errors()).extracting(InvalidBatchException.ItemError::field).containsExactly(
                "jobs[1]", "jobs[2].agent", "jobs[2].priority", "jobs[3].max_attempt", "jobs[4].depends_on_index",
                "jobs[5].depends_on");
        assertThat(b.jobs().get(0)).isNotNull();
        assertThat(b.jobs().subList(1, 6)).containsOnlyNulls();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[]                                          | expected a JSON object",
        "{\"job\": []}                              | unknown field 'job'",
        "{\"jobs\": {}}                             | jobs is required",
        "{\"jobs\": []}                             | 1..1000 jobs; it holds 0",
        "{\"jobs\": [{}], \"jobs\": [{}]}          | duplicate key 'jobs'",
    })
    void a_batch_that_is_not_a_list_of_jobs_is_refused_as_a_whole(String body, String message) {
        assertThatThrownBy(() -> batch(body)).isInstanceOf(InvalidRequestException.class)
                .isNotInstanceOf(InvalidBatchException.class).hasMessageContaining(message);
    }

    @Test
    void a_batch_of_more_than_a_thousand_jobs_is_refused_naming_jobs() {
        String many = "{\"jobs\": [" + String.join(",", java.util.Collections.nCopies(1001, "{}")) + "]}";
        assertThatThrownBy(() -> batch(many)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("it holds 1001")
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo("jobs");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "{\"jobs\": [{\"agent\": \"a\", \"repo\": \"r\"}, {\"repo\": \"r\", \"repo\": \"s\"}]}        | jobs[1].repo    | repo",
        "{\"jobs\": [{\"agent\": \"a\", \"payload\": {\"k\": [{\"z\": 1, \"z\": 2}]}}]}            | jobs[0].payload | z",
    })
    void a_duplicate_key_in_a_batch_names_the_item_and_field(String body, String field, String key) {
        assertThatThrownBy(() -> batch(body)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("duplicate key '" + key + "'")
                .extracting(e -> ((InvalidRequestException) e).field()).isEqualTo(field);
    }
}
