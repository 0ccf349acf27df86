package dev.orchestrator.runfiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A piece of a run's log read from a byte offset, cut where a UTF-8 character ends, so that a stream
 * of pieces decodes to the file's text and each piece's {@link #end()} is an offset a client can resume
 * from. A character cut by the end of what is written so far waits for the next read, unless the log
 * is complete ({@code complete}: the run has ended), when its bytes decode as U+FFFD.
 */
public record LogChunk(long start, long end, String text) {
    /** How much one read takes at most. */
    public static final int MAX_BYTES = 64 * 1024;

    public boolean isEmpty() {
        return end == start;
    }

    /**
     * Reads from {@code offset} up to {@code maxBytes} (an empty chunk at {@code offset} if nothing
     * new is written). {@code offset} beyond the file's size is an {@link IllegalArgumentException}.
     */
    public static LogChunk read(Path log, long offset, int maxBytes, boolean complete) throws IOException {
        if (offset < 0 || maxBytes < 4) {
            throw new IllegalArgumentException("offset " + offset + ", maxBytes " + maxBytes);
        }
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size) {
                throw new IllegalArgumentException("offset " + offset + " is beyond the end of the log (" + size
                        + " bytes)");
            }
            int want = (int) Math.min(maxBytes, size - offset);
            ByteBuffer buf = ByteBuffer.allocate(want);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    break;
                }
            }
            byte[] bytes = new byte[buf.position()];
            buf.flip().get(bytes);
            boolean atEnd = offset + bytes.length >= size;
            int usable = complete && atEnd ? bytes.length : completeCharacters(bytes);
            return new LogChunk(offset, offset + usable, new String(bytes, 0, usable, StandardCharsets.UTF_8));
        }
    }

    /** How many leading bytes end on a UTF-8 character boundary (a sequence cut at the end is left out). */
    static int completeCharacters(byte[] b) {
        int n = b.length;
        // a sequence is at most 4 bytes: look at the last 3 bytes for the lead of a cut one
        for (int back = 1; back <= Math.min(3, n); back++) {
            int x = b[n - back] & 0xFF;
            if ((x & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead
            }
            int length = x < 0x80 ? 1 : (x & 0xE0) == 0xC0 ? 2 : (x & 0xF0) == 0xE0 ? 3 : (x & 0xF8) == 0xF0 ? 4 : 1;
            return length > back ? n - back : n;
        }
        return n; // only continuation bytes at the end (not UTF-8): hand them on, they decode as U+FFFD
    }
}
