package dev.orchestrator.process;

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

    private long ticks(long pid) {
        return table.startTicks(pid).orElseThrow();
    }

    @Test
    void a_live_process_with_its_recorded_start_ticks_is_alive() {
        long self = ProcessHandle.current().pid();
        assertThat(table.isSameProcessAlive(self, null, ticks(self), HostInfo.bootId())).isTrue();
    }

    @Test
    void a_live_pid_with_other_start_ticks_is_a_reused_pid_and_not_alive() {
        long self = ProcessHandle.current().pid();
        assertThat(table.isSameProcessAlive(self, null, ticks(self) - 1, HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(1, null, ticks(self), HostInfo.bootId())).isFalse();
    }

    @Test
    void the_ticks_decide_when_recorded_so_a_stepped_wall_clock_changes_nothing() {
        // the JDK's start instant of the same process moves with the wall clock between JVMs
        long self = ProcessHandle.current().pid();
        Instant start = table.startTime(self).orElseThrow();
        assertThat(table.isSameProcessAlive(self, start.minusSeconds(3600), ticks(self), HostInfo.bootId())).isTrue();
    }

    @Test
    void rows_recorded_without_ticks_are_judged_by_the_start_instant() {
        long self = ProcessHandle.current().pid();
        Instant start = table.startTime(self).orElseThrow();
        assertThat(table.isSameProcessAlive(self, start, null, HostInfo.bootId())).isTrue();
        assertThat(table.isSameProcessAlive(self, start.minusSeconds(3600), null, HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(self, null, null, HostInfo.bootId())).isFalse();
    }

    @Test
    void a_pid_recorded_under_another_boot_is_not_alive() {
        long self = ProcessHandle.current().pid();
        assertThat(table.isSameProcessAlive(self, null, ticks(self), "another-boot")).isFalse();
    }

    @Test
    void the_ticks_are_the_kernels_start_time_since_boot() throws Exception {
        long self = ProcessHandle.current().pid();
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            long childTicks = ticks(child.pid());
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            assertThat(childTicks).isGreaterThanOrEqualTo(ticks(self)).isLessThanOrEqualTo((long) (uptime * 100) + 100);
            // the same gap as the JDK's start instants, at the kernel's 100 ticks per second
            Instant selfStart = ProcessHandle.current().info().startInstant().orElseThrow();
            Instant childStart = child.toHandle().info().startInstant().orElseThrow();
            long gapMillis = Duration.between(selfStart, childStart).toMillis();
            assertThat((childTicks - ticks(self)) * 10).isBetween(gapMillis - 1000, gapMillis + 1000);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void a_process_whose_name_is_not_valid_utf8_is_still_read(@TempDir Path dir) throws Exception {
        // comm is the first 15 bytes of the executable's name: a multi-byte character may be cut
        Process p = new ProcessBuilder("/bin/sh", "-c",
                "n=\"$1/$(printf 'ab\\342\\202')\"; cp /bin/sleep \"$n\"; exec \"$n\" 30", "sh", dir.toString())
                .start();
        try {
            Path comm = Path.of("/proc", Long.toString(p.pid()), "comm");
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> Files.readAllBytes(comm)[0] == 'a');
            assertThat(Files.readAllBytes(comm)).contains((byte) 0xe2);

            assertThat(table.startTicks(p.pid())).isPresent();
            assertThat(table.isSameProcessAlive(p.pid(), null, ticks(p.pid()), HostInfo.bootId())).isTrue();
        } finally {
            p.destroyForcibly();
        }
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
            long recordedTicks = ticks(child);
            assertThat(table.isSameProcessAlive(child, recorded, recordedTicks, HostInfo.bootId())).isTrue();

            Files.createFile(release);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ProcessTable.isZombie(child));

            assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive)).contains(true); // what the JDK believes
            assertThat(table.startTime(child)).isEmpty();
            assertThat(table.startTicks(child)).isEmpty();
            assertThat(table.isSameProcessAlive(child, recorded, recordedTicks, HostInfo.bootId())).isFalse();
            assertThat(table.isSameProcessAlive(child, recorded, null, HostInfo.bootId())).isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void an_exited_process_is_not_alive() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        long pid = p.pid();
        Instant start = table.startTime(pid).orElseThrow();
        long startTicks = ticks(pid);
        p.destroyForcibly();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(table.isSameProcessAlive(pid, start, startTicks, HostInfo.bootId())).isFalse();
        assertThat(table.isSameProcessAlive(pid, start, null, HostInfo.bootId())).isFalse();
    }
}
