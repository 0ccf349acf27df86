package dev.orchestrator.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What tests use to judge that a process has ended, independently of the code under test. */
public final class Processes {
    private Processes() {
    }

    /**
     * True once the process has ended. A killed grandchild is re-parented to PID 1; where PID 1
     * does not reap (a container without an init), it stays a zombie, which {@link ProcessHandle}
     * still calls alive. So the state letter in {@code /proc/<pid>/stat} decides.
     */
    public static boolean gone(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return true; // no such process
        }
        String state = stat.substring(stat.lastIndexOf(") ") + 2).split(" ", 2)[0];
        return state.equals("Z") || state.equals("X");
    }
}
