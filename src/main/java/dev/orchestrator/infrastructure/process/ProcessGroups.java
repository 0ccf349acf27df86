package dev.orchestrator.infrastructure.process;

import java.io.IOException;
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

    private final String killExecutable;

    public ProcessGroups(String killExecutable) {
        this.killExecutable = killExecutable;
    }

    /** Sends TERM to the group without waiting; false if no process of the group was left. */
    public boolean sendTerm(long pgid) {
        return signal(pgid, "TERM");
    }

    /** True if any process of the group still exists. */
    public boolean groupAlive(long pgid) {
        return signal(pgid, "0");
    }

    /**
     * TERM to the group, up to {@code grace} for the leader to exit, then KILL to whatever is left.
     * Returns true once no process of the group is left.
     */
    public boolean terminate(long pgid, Duration grace) {
        if (!signal(pgid, "TERM")) {
            return true; // nothing left to signal
        }
        ProcessHandle.of(pgid).ifPresent(h -> awaitExit(h, grace));
        if (groupAlive(pgid)) {
            LOG.log(Level.INFO, "process group {0} survived TERM for {1}; sending KILL", new Object[] {pgid, grace});
            signal(pgid, "KILL");
            ProcessHandle.of(pgid).ifPresent(h -> awaitExit(h, KILL_COMMAND_TIMEOUT));
        }
        return !groupAlive(pgid);
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
        if (pgid <= 1) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        try {
            Process p = new ProcessBuilder(List.of(killExecutable, "-" + sig, "--", "-" + pgid))
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
