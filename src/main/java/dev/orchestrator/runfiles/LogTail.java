package dev.orchestrator.runfiles;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The end of a run's log: its last lines, for error messages, transient patterns and the API. */
public final class LogTail {
    private static final int WINDOW = 4096;
    private static final int MAX_LINE = 300;

    private LogTail() {
    }

    /**
     * The last {@code n} lines of {@code log} (fewer if the file is shorter), reading at most
     * {@code maxBytes} from its end. Empty if the file does not exist.
     */
    public static java.util.List<String> lastLines(Path log, int n, int maxBytes) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - maxBytes);
            byte[] buf = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(buf);
            java.util.List<String> lines = new java.util.ArrayList<>(
                    java.util.Arrays.asList(new String(buf, StandardCharsets.UTF_8).split("\n", -1)));
            if (from > 0 && !lines.isEmpty()) {
                lines.remove(0); // a partial first line
            }
            if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            return java.util.List.copyOf(lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return java.util.List.of();
        }
    }

    public static String lastLine(Path log) {
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
