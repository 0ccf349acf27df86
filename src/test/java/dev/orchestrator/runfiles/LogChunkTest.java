package dev.orchestrator.runfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a run's log in pieces that end on UTF-8 character boundaries and resume by byte offset. */
class LogChunkTest {
    @TempDir
    Path dir;

    @Test
    void pieces_read_one_after_another_decode_to_the_whole_text_whatever_the_piece_size() throws Exception {
        String text = "ascii, é (2 bytes), € (3 bytes), 𝄞 (4 bytes)\nline two ✓\n".repeat(20);
        Path log = dir.resolve("output.log");
        Files.writeString(log, text);
        for (int size = 4; size <= 23; size++) {
            StringBuilder got = new StringBuilder();
            long offset = 0;
            while (true) {
                LogChunk c = LogChunk.read(log, offset, size, false);
                if (c.isEmpty()) {
                    break;
                }
                assertThat(c.start()).isEqualTo(offset);
                got.append(c.text());
                offset = c.end();
            }
            assertThat(got.toString()).as("piece size %d", size).isEqualTo(text);
            assertThat(offset).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void a_character_cut_by_what_is_written_so_far_waits_for_its_other_bytes() throws Exception {
        Path log = dir.resolve("output.log");
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        Files.write(log, new byte[] {'a', euro[0], euro[1]});

        LogChunk first = LogChunk.read(log, 0, LogChunk.MAX_BYTES, false);
        assertThat(first.text()).isEqualTo("a");
        assertThat(first.end()).isEqualTo(1);

        Files.write(log, new byte[] {euro[2], '\n'}, StandardOpenOption.APPEND);
        LogChunk second = LogChunk.read(log, first.end(), LogChunk.MAX_BYTES, false);
        assertThat(second.text()).isEqualTo("€\n");
        assertThat(second.end()).isEqualTo(5);
        assertThat(LogChunk.read(log, second.end(), LogChunk.MAX_BYTES, false).isEmpty()).isTrue();
    }

    @Test
    void once_the_run_has_ended_a_cut_character_at_the_end_is_handed_on_as_a_replacement() throws Exception {
        Path log = dir.resolve("output.log");
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        Files.write(log, new byte[] {'a', euro[0], euro[1]});

        LogChunk last = LogChunk.read(log, 0, LogChunk.MAX_BYTES, true);

        assertThat(last.end()).isEqualTo(3);
        assertThat(last.text()).isEqualTo("a\uFFFD");
    }

    @Test
    void an_offset_beyond_the_end_is_refused_and_one_at_the_end_reads_nothing() throws Exception {
        Path log = dir.resolve("output.log");
        Files.writeString(log, "12345");

        assertThat(LogChunk.read(log, 5, LogChunk.MAX_BYTES, false).isEmpty()).isTrue();
        assertThatThrownBy(() -> LogChunk.read(log, 6, LogChunk.MAX_BYTES, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond the end of the log (5 bytes)");
    }
}
