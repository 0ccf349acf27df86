package dev.orchestrator.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about this host that make a process identity: its name and the id of its current boot. */
public final class HostInfo {
    static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private HostInfo() {
    }

    /** The kernel's boot id: changes at every boot, so pids recorded under another boot are dead. */
    public static String bootId() {
        try {
            return Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the host boot id from " + BOOT_ID
                    + " (Orchestrator needs Linux /proc)", e);
        }
    }

    /** This JVM as a node: pid, start instant (for people) and start ticks (for identity). */
    public static dev.orchestrator.domain.node.NodeIdentity thisJvm(String nodeId, String host) {
        ProcessHandle self = ProcessHandle.current();
        String boot = bootId();
        java.util.OptionalLong ticks = new ProcessTable(boot).startTicks(self.pid());
        return new dev.orchestrator.domain.node.NodeIdentity(nodeId, host, boot, self.pid(),
                self.info().startInstant().map(t -> t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).orElse(null),
                ticks.isPresent() ? ticks.getAsLong() : null);
    }

    public static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
