package dev.orchestrator.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts agent processes in their own session and process group ({@code setsid}), in their
 * working directory, with a complete environment of our choosing and stdout+stderr appended to a
 * log file.
 *
 * <p>With an exit file, the agent runs under {@link #EXIT_WRAPPER}, a fixed script that runs the
 * agent's argv as positional parameters (never parsed as shell text), then writes its exit status
 * to the exit file: a run whose exit the server could not record is later finished with its real
 * outcome. The recorded pid is the wrapper's, which leads the process group.
 *
 * <p>The wrapper also ties the run to the life of this JVM. Its stdin is a pipe whose only writer
 * is this JVM, which never writes to it; a watcher in the wrapper's group reads it and sees
 * end-of-file exactly when the JVM is gone, however it died (kill -9, OOM killer, crash). The
 * watcher then sends TERM to the group, waits the kill grace and sends KILL, and no exit file is
 * written. So an agent never outlives the server that started it, and a node whose lease expires
 * because it crashed cannot leave a process running while another host runs the job again.
 */
public class ProcessLauncher {
    /**
     * $1 = exit file, $2 = kill grace in seconds, $3... = the agent's argv. fd 3 keeps the server's
     * pipe for the watcher only; the agent reads /dev/null. The watcher dies with the group on a TERM
     * from the server (cancel, timeout); it ignores TERM only once the server is gone, so that its
     * own TERM to the group leaves it alive to send the KILL. The wrapper traps TERM, and a shell
     * runs a trap only once its foreground command has ended: so the wrapper, whose pid is the one
     * recorded, lives exactly as long as the agent, and a TERM leaves no exit file.
     */
    static final String EXIT_WRAPPER = String.join("\n",
            "f=$1; g=$2; shift 2",
            "exec 3<&0 </dev/null",
            "{ while read -r _ <&3; do :; done; trap '' TERM; kill -s TERM 0; sleep \"$g\"; kill -s KILL 0; } &",
            "w=$!",
            "trap 'exit 143' TERM",
            "exec 3<&-",
            "\"$@\"; c=$?",
            "kill -s KILL \"$w\" 2>/dev/null; wait \"$w\" 2>/dev/null",
            "echo \"$c\" > \"$f\"; exit \"$c\"");
    static final String WRAPPER_NAME = "orchestrator-run";

    private static final String SHELL = "/bin/sh";

    private final String setsidExecutable;
    private final ProcessTable processTable;
    private final Duration orphanKillGrace;

    /** {@code orphanKillGrace}: how long the wrapper waits between TERM and KILL once the JVM is gone. */
    public ProcessLauncher(String setsidExecutable, ProcessTable processTable, Duration orphanKillGrace) {
        this.setsidExecutable = setsidExecutable;
        this.processTable = processTable;
        this.orphanKillGrace = orphanKillGrace;
    }

    public LaunchedProcess launch(LaunchRequest request) throws LaunchException {
        Path workDir = request.workDir();
        try {
            Files.createDirectories(workDir);
        } catch (IOException | SecurityException e) {
            throw new LaunchException("cannot create working directory " + workDir + ": " + e, e);
        }
        if (!Files.isDirectory(workDir) || !Files.isExecutable(workDir)) {
            throw new LaunchException("working directory " + workDir + " is not a usable directory");
        }
        String executable = request.argv().get(0);
        resolveExecutable(executable, workDir, request.environment().get("PATH"))
                .orElseThrow(() -> new LaunchException("executable not found or not executable: " + executable));
        try {
            Files.createDirectories(request.logFile().getParent());
        } catch (IOException e) {
            throw new LaunchException("cannot create log directory for " + request.logFile() + ": " + e, e);
        }

        List<String> command = new ArrayList<>(request.argv().size() + 6);
        command.add(setsidExecutable);
        boolean wrapped = request.exitFile() != null;
        if (wrapped) {
            command.addAll(List.of(SHELL, "-c", EXIT_WRAPPER, WRAPPER_NAME, request.exitFile().toString(),
                    Long.toString(orphanKillGrace.toSeconds())));
        }
        command.addAll(request.argv());
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                // wrapped: a pipe the JVM holds open until it exits (the Process keeps its end)
                .redirectInput(wrapped ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(request.logFile().toFile()));
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(request.environment());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new LaunchException("cannot start " + executable + ": " + e.getMessage(), e);
        }
        long pid = process.pid();
        java.util.OptionalLong ticks = processTable.startTicks(pid);
        return new LaunchedProcess(process, pid, processTable.startTime(pid),
                ticks.isPresent() ? ticks.getAsLong() : null);
    }

    /**
     * Where exec would find {@code executable}: a name with a slash relative to the working
     * directory, a bare name on the process's PATH.
     */
    static Optional<Path> resolveExecutable(String executable, Path workDir, String path) {
        if (executable.isEmpty()) {
            return Optional.empty();
        }
        if (executable.contains("/")) {
            Path p = workDir.resolve(executable);
            return isRunnable(p) ? Optional.of(p) : Optional.empty();
        }
        if (path == null || path.isEmpty()) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            Path p = (dir.isEmpty() ? workDir : workDir.resolve(dir)).resolve(executable);
            if (isRunnable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean isRunnable(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }
}
