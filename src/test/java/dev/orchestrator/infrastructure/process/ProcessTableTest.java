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
    void an_exited_process_is_not_alive() throws Exception {
        Process p = new ProcessBuilder("/bin/true").start();
        long pid = p.pid();
        Instant start = table.startTime(pid).orElse(Instant.now());
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(table.isSameProcessAlive(pid, start, HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(pid, null, HostInfo.bootId())).isFalse();
    }
}
