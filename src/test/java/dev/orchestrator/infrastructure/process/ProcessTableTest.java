package dev.orchestrator.infrastructure.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

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
    void a_zombie_that_nobody_reaps_is_not_alive() throws Exception {
        // sh starts "true" in the background, then becomes "sleep", which never reaps it
        Process parent = new ProcessBuilder("/bin/sh", "-c", "/bin/true & echo $!; exec sleep 30").start();
        try {
            long zombie = Long.parseLong(new java.io.BufferedReader(new java.io.InputStreamReader(
                    parent.getInputStream())).readLine().trim());
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> ProcessTable.isZombie(zombie));
            Instant recorded = ProcessHandle.of(zombie).flatMap(h -> h.info().startInstant()).orElse(Instant.now());

            assertThat(table.startTime(zombie)).isEmpty();
            assertThat(table.isSameProcessAlive(zombie, recorded, HostInfo.bootId())).isFalse();
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
