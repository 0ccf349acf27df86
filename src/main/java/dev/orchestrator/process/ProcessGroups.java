package dev.orchestrator.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Signals whole process groups. Agents start in their own session (setsid), so the agent's pid is
 * also its group id, and grandchildren that re-parented away are still reached through the group.
 * {@link ProcessHandle} has no killpg, so this runs {@code kill -SIG -- -PGID}.
 */
public class ProcessGroups {
    private static final Logger LOG = Logger.getLogger(ProcessGroups.class.getName());
    private static final Duration KILL_COMMAND_TIMEOUT = Duration.ofSeconds(5);
    private static final Path PROC = Path.of("/proc");

    private final String killExecutable;

    public ProcessGroups(String killExecutable) {
        this.killExecutable = killExecutable;
    }

    /** Sends TERM to the group without waiting; false if no process of the group was left. */
    public boolean sendTerm(long pgid) {
        return signalGroupAndLeader(pgid, "TERM");
    }

    /**
     * Signals the group and its leader. Right after start, the agent may not have called setsid()
     * yet (it is then still in our group, and "-PGID" names no group): signalling the leader's pid
     * as well reaches it either way.
     */
    private boolean signalGroupAndLeader(long pgid, String sig) {
        boolean group = signal(pgid, sig);
        boolean leader = ProcessHandle.of(pgid).map(ProcessHandle::isAlive).orElse(false)
                && signalProcess(pgid, sig);
        return group || leader;
    }

    /**
     * True if any live (non-zombie) process is still in the group. Zombies are ignored: they
     * have exited and only wait to be reaped (under a PID 1 that does not reap, they never are).
     */
    public boolean groupAlive(long pgid) {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path dir : procs) {
                if (isLiveMember(dir.resolve("stat"), pgid)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return signal(pgid, "0");
        }
    }

    private static boolean isLiveMember(Path stat, long pgid) {
        try {
            return ProcStat.read(stat).map(s -> s.processGroup() == pgid && !s.ended()).orElse(false);
        } catch (RuntimeException e) {
            return false; // a malformed line
        }
    }

    /**
     * TERM to the group, up to {@code grace} for the leader to exit, then KILL to whatever is left.
     * Returns true once no process of the group is left.
     */
    public boolean terminate(long pgid, Duration grace) {
        if (!signalGroupAndLeader(pgid, "TERM")) {
            return true; // nothing left to signal
        }
        ProcessHandle.of(pgid).ifPresent(h -> awaitExit(h, grace));
        if (groupAlive(pgid)) {
            LOG.log(Level.INFO, "process group {0} survived TERM for {1}; sending KILL", new Object[] {pgid, grace});
            signalGroupAndLeader(pgid, "KILL");
            ProcessHandle.of(pgid).ifPresent(h -> awaitExit(h, KILL_COMMAND_TIMEOUT));
        }
        return !groupAlive(pgid);
    }

    /**
     * {@link #terminate}, for callers about to hand the job on: throws if a process of the group
     * survived KILL (for example in uninterruptible sleep), so that the job stays running, still
     * owned, until a later pass finds the group gone.
     */
    public void terminateOrThrow(long pgid, Duration grace) {
        if (!terminate(pgid, grace)) {
            throw new IllegalStateException("process group " + pgid + " survived KILL; its job stays running "
                    + "until the group is gone");
        }
    }

    private static void awaitExit(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // still alive: the caller escalates
        } catch (ExecutionException e) {
            LOG.log(Level.FINE, "waiting for " + handle.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends {@code sig} to the group; true if kill reported success (some process got it). */
    boolean signal(long pgid, String sig) {
        return kill(pgid, sig, "-" + pgid);
    }

    private boolean signalProcess(long pid, String sig) {
        return kill(pid, sig, Long.toString(pid));
    }

    private boolean kill(long id, String sig, String target) {
        if (id <= 1) {
            throw new IllegalArgumentException("refusing to signal " + target);
        }
        try {
            Process p = new ProcessBuilder(List.of(killExecutable, "-" + sig, "--", target))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(KILL_COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(killExecutable + " did not answer within " + KILL_COMMAND_TIMEOUT);
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + killExecutable + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
