package dev.orchestrator.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher stops the server an earlier launcher left running, and never a process that reused its pid. */
class ServerPidFileTest {
    @TempDir
    Path tmp;

    private Process server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    @Test
    void the_recorded_server_is_stopped_and_the_file_removed() throws Exception {
        server = new ProcessBuilder("sleep", "300").start();
        ServerPidFile file = new ServerPidFile(tmp.resolve("server.pid"));
        file.write(server.toHandle());
        assertThat(Files.readString(tmp.resolve("server.pid"))).matches(server.pid() + " [0-9]+\n");

        new ServerPidFile(tmp.resolve("server.pid")).stopOrphan();

        assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(tmp.resolve("server.pid")).doesNotExist();
    }

    @Test
    void a_live_process_with_other_start_ticks_is_not_the_server_and_is_left_alone() throws Exception {
        server = new ProcessBuilder("sleep", "300").start();
        Files.writeString(tmp.resolve("server.pid"), server.pid() + " 1\n");

        new ServerPidFile(tmp.resolve("server.pid")).stopOrphan();

        assertThat(server.isAlive()).isTrue();
        assertThat(tmp.resolve("server.pid")).doesNotExist();
    }

    @Test
    void a_file_written_by_an_older_launcher_is_still_understood() throws Exception {
        server = new ProcessBuilder("sleep", "300").start();
        Files.writeString(tmp.resolve("server.pid"),
                server.pid() + " " + server.toHandle().info().startInstant().orElseThrow() + "\n");

        new ServerPidFile(tmp.resolve("server.pid")).stopOrphan();

        assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
}
