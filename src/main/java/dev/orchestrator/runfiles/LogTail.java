package dev.orchestrator.runfiles;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The end of a run's log: its last lines, for error messages, transient patterns and the API. */
public final class LogTail {
    private static final int WINDOW = 4096;
    private static final int MAX_LINE = 300;

    private LogTail() {
    }

    /** At most {@code maxBytes} from the end of a file, and whether that cut its first line. */
    private record End(String text, boolean cut) {
        static End of(Path log, int maxBytes) throws IOException {
            try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                long len = f.length();
                long from = Math.max(0, len - maxBytes);
                byte[] buf = new byte[(int) (len - from)];
                f.seek(from);
                f.readFully(buf);
                return new End(new String(buf, StandardCharsets.UTF_8), from > 0);
            }
        }
    }

    /**
     * The last {@code n} lines of {@code log} (fewer if the file is shorter), reading at most
     * {@code maxBytes} from its end. Empty if the file does not exist.
     */
    public static List<String> lastLines(Path log, int n, int maxBytes) {
        try {
            End end = End.of(log, maxBytes);
            List<String> lines = new ArrayList<>(Arrays.asList(end.text().split("\n", -1)));
            if (end.cut() && !lines.isEmpty()) {
                lines.remove(0); // a partial first line
            }
            if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            return List.copyOf(lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The last line with text (at most 300 characters), or "" if there is none. */
    public static String lastLine(Path log) {
        try {
            String[] lines = End.of(log, WINDOW).text().split("\n");
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
