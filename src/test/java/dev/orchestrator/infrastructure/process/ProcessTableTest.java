package dev.orchestrator.infrastructure.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process is ours only if pid, start time and boot id all match: a reused pid never passes. */
class ProcessTableTest {
    private final ProcessTable table = new ProcessTable(HostInfo.bootId());

    @Test
    void the_boot_id_is_read_from_proc() {
        assertThat(HostInfo.bootId()).matches("[0-9a-f-]{36}");
    }

    @Test
    void a_live_process_with_its_recorded_start_time_is_alive() {
        ProcessHandle self = ProcessHandle.current();
        Instant start = table.startTime(self.pid()).orElseThrow();
        assertThat(table.isSameProcessAlive(self.pid(), start, HostInfo.bootId())).isTrue();
    }

    @Test
    void a_live_pid_with_another_start_time_is_a_reused_pid_and_not_alive() {
        ProcessHandle self = ProcessHandle.current();
        Instant start = table.startTime(self.pid()).orElseThrow();
        assertThat(table.isSameProcessAlive(self.pid(), start.minusSeconds(3600), HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(1, start, HostInfo.bootId())).isFalse();
    }

    @Test
    void a_pid_recorded_under_another_boot_is_not_alive() {
        ProcessHandle self = ProcessHandle.current();
        Instant start = table.startTime(self.pid()).orElseThrow();
        assertThat(table.isSameProcessAlive(self.pid(), start, "another-boot")).isFalse();
    }

    @Test
    void a_zombie_that_nobody_reaps_is_not_alive(@TempDir Path dir) throws Exception {
        // sh starts a child that waits for a file, then becomes "sleep", which never reaps it.
        // The child must not exit before the exec: a shell reaps children it still is.
        Path release = dir.resolve("release");
        Process parent = new ProcessBuilder("/bin/sh", "-c",
                "/bin/sh -c 'while [ ! -e \"$0\" ]; do sleep 0.02; done' \"$1\" & echo $!; exec sleep 60",
                "sh", release.toString()).start();
        try {
            long child = Long.parseLong(new BufferedReader(new InputStreamReader(
                    parent.getInputStream(), StandardCharsets.UTF_8)).readLine().trim());
            Path parentComm = Path.of("/proc", Long.toString(parent.pid()), "comm");
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readString(parentComm).trim().equals("sleep"));
            Instant recorded = table.startTime(child).orElseThrow();
            assertThat(table.isSameProcessAlive(child, recorded, HostInfo.bootId())).isTrue();

            Files.createFile(release);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTable.isZombie(child));

            assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive)).contains(true); // what the JDK believes
            assertThat(table.startTime(child)).isEmpty();
            assertThat(table.isSameProcessAlive(child, recorded, HostInfo.bootId())).isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void an_exited_process_is_not_alive() throws Exception {
        Process p = new ProcessBuilder("/bin/true").start();
        long pid = p.pid();
        Instant start = table.startTime(pid).orElse(Instant.now());
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(table.isSameProcessAlive(pid, start, HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(pid, null, HostInfo.bootId())).isFalse();
    }
}
