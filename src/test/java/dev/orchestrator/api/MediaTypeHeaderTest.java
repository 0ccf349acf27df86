package dev.orchestrator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MediaTypeHeaderTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "application/json                        | application | json | ",
        "Application/JSON                        | application | json | ",
        "application/json;charset=utf-8          | application | json | utf-8",
        "application/json ; charset=\"UTF-8\"    | application | json | UTF-8",
        "application/json;;  ;charset=utf-8;     | application | json | utf-8",
        "application/problem+json; q=1; v=\"a;b\" | application | problem+json | ",
        "text/plain; charset=\"a\\\"b\"          | text        | plain | a\"b",
    })
    void well_formed_values_are_read(String raw, String type, String subtype, String charset) throws Exception {
        MediaTypeHeader m = MediaTypeHeader.parse(raw.trim());
        assertThat(m.type()).isEqualTo(type);
        assertThat(m.subtype()).isEqualTo(subtype);
        assertThat(m.charset()).isEqualTo(Optional.ofNullable(charset));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ";;;", "application", "application/", "/json", "application/json; charset=",
        "application/json; charset=\"utf-8", "application/json; charset", "application/json x",
        "application/json; charset=utf-8; charset=latin1", "appl\u00e9cation/json", "application/json; a=\"\u0001\"",
        "application /json"})
    void malformed_values_are_refused(String raw) {
        assertThatThrownBy(() -> MediaTypeHeader.parse(raw)).isInstanceOf(MediaTypeHeader.MalformedException.class);
    }
}
