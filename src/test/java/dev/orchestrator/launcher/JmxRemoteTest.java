package dev.orchestrator.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.config.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's JMX settings: off by default, authentication required, a password file for its owner only. */
class JmxRemoteTest {
    @TempDir
    Path tmp;

    private Path passwords;
    private Path access;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void files() throws Exception {
        passwords = Files.writeString(tmp.resolve("jmx.password"), "ops secret\n");
        access = Files.writeString(tmp.resolve("jmx.access"), "ops readwrite\n");
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(access, PosixFilePermissions.fromString("rw-------"));
        env.put(JmxRemote.PASSWORD_FILE, passwords.toString());
        env.put(JmxRemote.ACCESS_FILE, access.toString());
    }

    @Test
    void without_a_port_there_is_no_connector() {
        assertThat(JmxRemote.from(env)).isNull();
        env.put(JmxRemote.PORT, "  ");
        assertThat(JmxRemote.from(env)).isNull();
    }

    @Test
    void a_port_gives_the_jdk_flags_on_the_loopback_address_with_authentication() {
        env.put(JmxRemote.PORT, "9010");
        JmxRemote.Settings s = JmxRemote.from(env);
        assertThat(s.jvmFlags()).containsExactly(
                "-Dcom.sun.management.jmxremote.port=9010",
                "-Dcom.sun.management.jmxremote.rmi.port=9010",
                "-Dcom.sun.management.jmxremote.host=127.0.0.1",
                "-Djava.rmi.server.hostname=127.0.0.1",
                "-Dcom.sun.management.jmxremote.authenticate=true",
                "-Dcom.sun.management.jmxremote.ssl=false",
                "-Dcom.sun.management.jmxremote.password.file=" + passwords,
                "-Dcom.sun.management.jmxremote.access.file=" + access);
        assertThat(s.url()).isEqualTo("service:jmx:rmi:///jndi/rmi://127.0.0.1:9010/jmxrmi");
        env.put(JmxRemote.HOST, "10.0.0.7");
        assertThat(JmxRemote.from(env).jvmFlags()).contains("-Dcom.sun.management.jmxremote.host=10.0.0.7",
                "-Djava.rmi.server.hostname=10.0.0.7");
    }

    @Test
    void a_password_file_readable_by_group_or_others_is_refused_naming_it() throws Exception {
        env.put(JmxRemote.PORT, "9010");
        for (String mode : new String[] {"rw-r-----", "rw----r--", "rw-----w-", "r--r--r--"}) {
            Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString(mode));
            assertThatThrownBy(() -> JmxRemote.from(env)).isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("ORCH_JMX_PASSWORD_FILE=" + passwords)
                    .hasMessageContaining("group or others")
                    .hasMessageContaining("chmod 600");
        }
        Files.setPosixFilePermissions(passwords, PosixFilePermissions.fromString("r--------"));
        assertThat(JmxRemote.from(env)).isNotNull();
    }

    @Test
    void bad_settings_are_refused_naming_the_setting() {
        env.put(JmxRemote.PORT, "70000");
        assertThatThrownBy(() -> JmxRemote.from(env)).hasMessageContaining("ORCH_JMX_PORT='70000'");
        env.put(JmxRemote.PORT, "jmx");
        assertThatThrownBy(() -> JmxRemote.from(env)).hasMessageContaining("ORCH_JMX_PORT='jmx'");
        env.put(JmxRemote.PORT, "9010");
        env.put(JmxRemote.HOST, "a host");
        assertThatThrownBy(() -> JmxRemote.from(env)).hasMessageContaining("ORCH_JMX_HOST='a host'");
        env.remove(JmxRemote.HOST);
        env.remove(JmxRemote.ACCESS_FILE);
        assertThatThrownBy(() -> JmxRemote.from(env)).hasMessageContaining("ORCH_JMX_ACCESS_FILE is not")
                .hasMessageContaining("without authentication");
        env.put(JmxRemote.ACCESS_FILE, access.toString());
        env.put(JmxRemote.PASSWORD_FILE, tmp.resolve("missing").toString());
        assertThatThrownBy(() -> JmxRemote.from(env)).hasMessageContaining("ORCH_JMX_PASSWORD_FILE=")
                .hasMessageContaining("no such file");
    }
}
