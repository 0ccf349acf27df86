package dev.orchestrator.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.orchestrator.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real processes: exit codes, captured output, environment, process groups, launch failures. */
class ProcessLauncherTest {
    static final Path AGENTS = Path.of("src/test/agents").toAbsolutePath();

    @TempDir
    Path tmp;

    private final ProcessTable table = new ProcessTable(HostInfo.bootId());
    private final ProcessLauncher launcher = new ProcessLauncher(OsCommands.require("setsid"), table,
            java.time.Duration.ofSeconds(2));
    private final ProcessGroups groups = new ProcessGroups(OsCommands.require("kill"));

    private LaunchRequest request(List<String> argv, Map<String, String> env) {
        return new LaunchRequest(argv, tmp.resolve("work"), env, tmp.resolve("run/output.log"),
                tmp.resolve("run/exit_status"));
    }

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new java.util.HashMap<>(Map.of("PATH", "/usr/bin:/bin"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static int exitOf(LaunchedProcess p) throws InterruptedException {
        assertThat(p.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.process().exitValue();
    }

    @Test
    void reports_the_exit_code_and_captures_stdout_and_stderr_in_the_log() throws Exception {
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/exit-with.sh", "3"), env("ORCH_JOB_ID", "7")));

        assertThat(exitOf(p)).isEqualTo(3);
        assertThat(Files.readString(tmp.resolve("run/exit_status"))).isEqualTo("3\n");
        String log = Files.readString(tmp.resolve("run/output.log"));
        assertThat(log).contains("exit-with: job=7").contains("stderr line, exiting 3");
        assertThat(log).contains("cwd=" + tmp.resolve("work"));
    }

    @Test
    void runs_in_its_own_session_and_process_group() throws Exception {
        Path release = tmp.resolve("release");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/wait-for-file.sh", release.toString()),
                env()));
        try {
            // setsid() runs in the child right after start: wait for it, bounded
            await().atMost(Duration.ofSeconds(10)).until(() -> statField(p.pid(), 2) == p.pid());
            assertThat(statField(p.pid(), 3)).as("session id").isEqualTo(p.pid());
            assertThat(p.startedAt()).isPresent();
            assertThat(p.startTicks()).isNotNull();
            assertThat(table.isSameProcessAlive(p.pid(), p.startedAt().get(), p.startTicks(), HostInfo.bootId()))
                    .isTrue();
        } finally {
            Files.createFile(release);
        }
        assertThat(exitOf(p)).isZero();
    }

    private static long statField(long pid, int index) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(s.substring(s.lastIndexOf(") ") + 2).split(" ")[index]);
    }

    @Test
    void gives_the_process_exactly_the_environment_it_was_handed() throws Exception {
        Path payload = tmp.resolve("payload.json");
        Files.writeString(payload, "{\"task\":\"fix it\"}");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/show-payload.sh"),
                env("ORCH_PAYLOAD_FILE", payload.toString(), "AGENT_MODE", "fast")));

        assertThat(exitOf(p)).isZero();
        String log = Files.readString(tmp.resolve("run/output.log"));
        assertThat(log).contains("payload={\"task\":\"fix it\"}").contains("AGENT_MODE=fast");
        assertThat(log).doesNotContain("ORCH_DB_PASSWORD");
    }

    @Test
    void the_exit_status_is_made_durable_even_when_nobody_waits_for_the_process() throws Exception {
        Path release = tmp.resolve("release");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/wait-for-file.sh", release.toString()),
                env()));
        assertThat(tmp.resolve("run/exit_status")).doesNotExist();
        Files.createFile(release);
        assertThat(exitOf(p)).isZero();
        assertThat(Files.readString(tmp.resolve("run/exit_status"))).isEqualTo("0\n");
    }

    @Test
    void arguments_reach_the_agent_verbatim_never_parsed_by_a_shell() throws Exception {
        LaunchedProcess p = launcher.launch(request(List.of("/bin/echo", "$HOME", "a;b", "`id`", "\"q\""), env()));
        assertThat(exitOf(p)).isZero();
        assertThat(Files.readString(tmp.resolve("run/output.log"))).isEqualTo("$HOME a;b `id` \"q\"\n");
    }

    @Test
    void refuses_a_missing_executable_before_starting_anything() {
        assertThatThrownBy(() -> launcher.launch(request(List.of("/no/such/agent"), env())))
                .isInstanceOf(LaunchException.class).hasMessageContaining("executable not found");
        assertThatThrownBy(() -> launcher.launch(request(List.of("no-such-agent-on-path"), env())))
                .isInstanceOf(LaunchException.class).hasMessageContaining("no-such-agent-on-path");
    }

    @Test
    void refuses_an_unusable_working_directory() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        LaunchRequest r = new LaunchRequest(List.of("/bin/true"), file.resolve("repo"), env(),
                tmp.resolve("run/output.log"), null);
        assertThatThrownBy(() -> launcher.launch(r)).isInstanceOf(LaunchException.class)
                .hasMessageContaining("working directory");
    }

    @Test
    void finds_bare_names_on_the_process_path() {
        assertThat(ProcessLauncher.resolveExecutable("true", tmp, "/nonexistent:/usr/bin:/bin")).isPresent();
        assertThat(ProcessLauncher.resolveExecutable("true", tmp, null)).isEmpty();
    }

    @Test
    void terminating_the_group_also_kills_grandchildren_that_outlive_the_agent() throws Exception {
        Path childPidFile = tmp.resolve("child.pid");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/spawn-tree.sh", childPidFile.toString()),
                env()));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(childPidFile)
                && !Files.readString(childPidFile).isBlank());
        long grandchild = Long.parseLong(Files.readString(childPidFile).trim());
        assertThat(ProcessHandle.of(grandchild)).isPresent();

        assertThat(groups.terminate(p.pid(), Duration.ofSeconds(5))).isTrue();

        assertThat(p.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Processes.gone(grandchild));
        assertThat(groups.groupAlive(p.pid())).isFalse();
    }

    // ------------------------------------------------------------------ the run dies with its server

    private long startTree(LaunchedProcess p, Path childPidFile) throws IOException {
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(childPidFile)
                && !Files.readString(childPidFile).isBlank());
        return Long.parseLong(Files.readString(childPidFile).trim());
    }

    @Test
    void when_the_server_is_gone_the_whole_group_is_killed_and_no_exit_status_is_written() throws Exception {
        Path childPidFile = tmp.resolve("child.pid");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/spawn-tree.sh", childPidFile.toString()),
                env()));
        long grandchild = startTree(p, childPidFile);

        p.process().getOutputStream().close(); // what the kernel does when the JVM dies, however it dies

        assertThat(p.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> Processes.gone(grandchild) && !groups.groupAlive(p.pid()));
        assertThat(tmp.resolve("run/exit_status")).doesNotExist();
    }

    @Test
    void when_the_server_is_gone_the_recorded_pid_lives_as_long_as_the_agent_does() throws Exception {
        // recovery judges the run by the wrapper's pid: it must not vanish while the agent still
        // cleans up after its TERM, or a quick restart would take the job back beside it
        ProcessLauncher patient = new ProcessLauncher(OsCommands.require("setsid"), table, Duration.ofSeconds(120));
        Path ready = tmp.resolve("ready");
        Path gotTerm = tmp.resolve("got-term");
        Path release = tmp.resolve("release");
        LaunchedProcess p = patient.launch(request(List.of("/bin/sh", "-c",
                "trap 'touch \"$2\"' TERM; touch \"$1\"; while [ ! -e \"$3\" ]; do sleep 0.05; done",
                "cleaner", ready.toString(), gotTerm.toString(), release.toString()), env()));
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(ready));

            p.process().getOutputStream().close();
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(gotTerm));

            assertThat(p.process().isAlive()).as("the wrapper waits for its agent").isTrue();
            assertThat(table.isSameProcessAlive(p.pid(), p.startedAt().orElseThrow(), p.startTicks(), HostInfo.bootId()))
                    .isTrue();

            Files.createFile(release);
            assertThat(p.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.process().exitValue()).isEqualTo(143);
            assertThat(tmp.resolve("run/exit_status")).doesNotExist();
        } finally {
            groups.terminate(p.pid(), Duration.ZERO); // the watcher is still in its grace period
        }
    }

    @Test
    void when_the_server_is_gone_an_agent_that_ignores_term_is_killed_after_the_grace() throws Exception {
        Path ready = tmp.resolve("ready");
        LaunchedProcess p = launcher.launch(request(List.of("/bin/sh", "-c",
                "trap '' TERM; touch \"$1\"; sleep 300", "stubborn", ready.toString()), env()));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(ready));

        p.process().getOutputStream().close();

        assertThat(p.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(20)).until(() -> !groups.groupAlive(p.pid()));
        assertThat(tmp.resolve("run/exit_status")).doesNotExist();
    }

    @Test
    void a_term_to_the_group_ends_it_without_waiting_for_a_kill() throws Exception {
        Path childPidFile = tmp.resolve("child.pid");
        LaunchedProcess p = launcher.launch(request(List.of(AGENTS + "/spawn-tree.sh", childPidFile.toString()),
                env()));
        long grandchild = startTree(p, childPidFile);

        groups.sendTerm(p.pid()); // only TERM: the watcher must not keep the group alive

        assertThat(p.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> Processes.gone(grandchild) && !groups.groupAlive(p.pid()));
    }

    @Test
    void the_agent_reads_an_empty_stdin_not_the_servers_pipe() throws Exception {
        LaunchedProcess p = launcher.launch(request(List.of("/bin/sh", "-c", "cat; echo stdin-ended"), env()));

        assertThat(exitOf(p)).isZero();
        assertThat(Files.readString(tmp.resolve("run/output.log"))).contains("stdin-ended");
        assertThat(Files.readString(tmp.resolve("run/exit_status"))).isEqualTo("0\n");
    }

    @Test
    void the_benchmark_measures_the_wrapper_the_runner_uses() throws IOException {
        // bench/Bench.java runs on its own (java Bench.java) and carries a copy of the script
        String bench = Files.readString(Path.of("bench/Bench.java"));
        for (String line : ProcessLauncher.EXIT_WRAPPER.split("\n")) {
            String quoted = "\"" + line.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            assertThat(bench).as("bench/Bench.java has the wrapper line %s", line).contains(quoted);
        }
    }
}
