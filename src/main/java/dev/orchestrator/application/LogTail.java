package dev.orchestrator.application;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The last non-blank line of a run's log, for error messages. */
final class LogTail {
    private static final int WINDOW = 4096;
    private static final int MAX_LINE = 300;

    private LogTail() {
    }

    static String lastLine(Path log) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - WINDOW);
            byte[] buf = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(buf);
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                String line = lines[i].strip();
                if (!line.isEmpty()) {
                    return line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "..." : line;
                }
            }
            return "";
        } catch (IOException e) {
            return "";
        }
    }
}
