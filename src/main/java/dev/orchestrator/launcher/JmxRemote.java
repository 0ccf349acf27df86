package dev.orchestrator.launcher;

import dev.orchestrator.config.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JDK's remote JMX connector for the server JVM, from ORCH_JMX_PORT (off when unset),
 * ORCH_JMX_HOST (default 127.0.0.1; the address the connector binds to and announces),
 * ORCH_JMX_PASSWORD_FILE and ORCH_JMX_ACCESS_FILE (both required: no connector without
 * authentication). The password file must not be readable by group or others: the JDK refuses it
 * too, but only with a terse error in the server's log after the launcher has started everything.
 * Plain RMI without TLS: credentials cross the network in clear, hence the loopback default.
 */
public final class JmxRemote {
    static final String PORT = "ORCH_JMX_PORT";
    static final String HOST = "ORCH_JMX_HOST";
    static final String PASSWORD_FILE = "ORCH_JMX_PASSWORD_FILE";
    static final String ACCESS_FILE = "ORCH_JMX_ACCESS_FILE";
    static final String DEFAULT_HOST = "127.0.0.1";

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** The connector's settings. */
    public record Settings(int port, String host, Path passwordFile, Path accessFile) {
        /** The server JVM's flags. */
        public List<String> jvmFlags() {
            return List.of(
                    "-Dcom.sun.management.jmxremote.port=" + port,
                    "-Dcom.sun.management.jmxremote.rmi.port=" + port,
                    "-Dcom.sun.management.jmxremote.host=" + host,
                    "-Djava.rmi.server.hostname=" + host,
                    "-Dcom.sun.management.jmxremote.authenticate=true",
                    "-Dcom.sun.management.jmxremote.ssl=false",
                    "-Dcom.sun.management.jmxremote.password.file=" + passwordFile,
                    "-Dcom.sun.management.jmxremote.access.file=" + accessFile);
        }

        public String url() {
            return "service:jmx:rmi:///jndi/rmi://" + host + ":" + port + "/jmxrmi";
        }
    }

    private JmxRemote() {
    }

    /** Null when ORCH_JMX_PORT is unset or blank; otherwise checked settings, or a message naming the setting. */
    public static Settings from(Map<String, String> env) {
        String rawPort = env.get(PORT);
        if (rawPort == null || rawPort.isBlank()) {
            return null;
        }
        int port = port(rawPort);
        String host = env.getOrDefault(HOST, "");
        host = host.isBlank() ? DEFAULT_HOST : host.trim();
        if (!host.matches("[A-Za-z0-9.:_\\-\\[\\]]+")) {
            throw new ConfigurationException(HOST + "='" + host + "' is not a host name or address");
        }
        Path passwords = file(env, PASSWORD_FILE);
        Path access = file(env, ACCESS_FILE);
        requireOwnerOnly(passwords);
        return new Settings(port, host, passwords, access);
    }

    private static int port(String raw) {
        try {
            int p = Integer.parseInt(raw.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ConfigurationException(PORT + "='" + raw + "' is not a TCP port (1..65535; unset: no JMX connector)");
    }

    private static Path file(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            throw new ConfigurationException(PORT + " is set but " + name + " is not: the JMX connector needs "
                    + PASSWORD_FILE + " and " + ACCESS_FILE + " (no connector without authentication)");
        }
        Path p = Path.of(v.trim()).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            throw new ConfigurationException(name + "=" + p + ": no such file");
        }
        if (!Files.isReadable(p)) {
            throw new ConfigurationException(name + "=" + p + ": not readable by this user");
        }
        return p;
    }

    static void requireOwnerOnly(Path passwords) {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(passwords);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: the JDK applies its own check
        } catch (IOException e) {
            throw new ConfigurationException(PASSWORD_FILE + "=" + passwords + ": cannot read its permissions: "
                    + e.getMessage());
        }
        if (perms.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
            throw new ConfigurationException(PASSWORD_FILE + "=" + passwords + " is accessible to group or others "
                    + "(" + PosixFilePermissions.toString(perms) + "); it holds passwords: chmod 600 " + passwords);
        }
    }
}
