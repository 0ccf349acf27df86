package dev.orchestrator.domain.run;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/**
 * One attempt of a job: which node ran which OS process, when, and how it ended.
 * Runs are written by the guarded statements of the queue; JPA reads them.
 */
@Entity
@Table(name = "agent_runs")
public class AgentRun {
    @Id
    private Long id;

    @Column(name = "job_id", nullable = false)
    private long jobId;

    private int attempt;

    @Column(name = "node_id")
    private String nodeId;

    private String host;

    @Column(name = "boot_id")
    private String bootId;

    private Long pid;

    @Column(name = "process_started_at")
    private OffsetDateTime processStartedAt;

    @Column(name = "started_at")
    private OffsetDateTime startedAt;

    @Column(name = "finished_at")
    private OffsetDateTime finishedAt;

    @Column(name = "exit_code")
    private Integer exitCode;

    private String outcome;

    private String error;

    @Column(name = "log_path")
    private String logPath;

    protected AgentRun() {
        // for JPA
    }

    public Long id() { return id; }
    public long jobId() { return jobId; }
    public int attempt() { return attempt; }
    public String nodeId() { return nodeId; }
    public String host() { return host; }
    public String bootId() { return bootId; }
    public Long pid() { return pid; }
    public OffsetDateTime processStartedAt() { return processStartedAt; }
    public OffsetDateTime startedAt() { return startedAt; }
    public OffsetDateTime finishedAt() { return finishedAt; }
    public Integer exitCode() { return exitCode; }
    public RunOutcome outcome() { return RunOutcome.fromDb(outcome); }
    public String error() { return error; }
    public String logPath() { return logPath; }
}
