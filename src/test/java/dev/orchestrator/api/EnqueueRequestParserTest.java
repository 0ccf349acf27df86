package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.service.EnqueueCommand;
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
}
