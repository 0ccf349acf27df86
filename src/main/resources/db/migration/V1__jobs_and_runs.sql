-- Orchestrator schema, version 1: nodes, jobs and their runs.
-- The run-ownership invariant is repeated here as CHECK constraints so that no writer,
-- however it reaches the database, can store an impossible row.

CREATE TABLE nodes (
    id            text        PRIMARY KEY,             -- host + JVM incarnation, e.g. "build-7:4f1c..."
    host          text        NOT NULL,
    boot_id       text        NOT NULL,                -- /proc/sys/kernel/random/boot_id at start
    jvm_pid       bigint      NOT NULL,
    jvm_started_at timestamptz,                        -- with jvm_pid and boot_id: is that JVM still alive?
    started_at    timestamptz NOT NULL,
    heartbeat_at  timestamptz NOT NULL,
    stopped_at    timestamptz
);
CREATE INDEX nodes_by_host ON nodes (host) WHERE stopped_at IS NULL;

CREATE TABLE jobs (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent              text        NOT NULL CHECK (agent ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    repo               text        NOT NULL CHECK (repo ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' AND strpos(repo, '..') = 0),
    payload            text        NOT NULL DEFAULT '{}',
    priority           integer     NOT NULL DEFAULT 0,
    status             text        NOT NULL DEFAULT 'queued'
                                   CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    attempts           integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts       integer     NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    transient_attempts integer     NOT NULL DEFAULT 0 CHECK (transient_attempts >= 0),
    available_at       timestamptz NOT NULL,
    -- run ownership: who is executing this job right now (NULL unless running, kept as history when finished)
    run_id             bigint,                         -- agent_runs.id of the current/last run (no FK: see docs/internals.md)
    pid                bigint,                         -- OS pid (= process group id) of that run
    started_at         timestamptz,                    -- when the current/last claim happened
    claimed_by         text,                           -- nodes.id of the claiming node
    finished_at        timestamptz,
    error              text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,

    -- The invariant the predecessor lost (incident ORCH-124/125): a queued job owns no run.
    CONSTRAINT jobs_queued_owns_no_run CHECK (
        status <> 'queued'
        OR (run_id IS NULL AND pid IS NULL AND started_at IS NULL AND claimed_by IS NULL)),
    -- A running job was claimed by a node at a known time.
    CONSTRAINT jobs_running_is_claimed CHECK (
        status <> 'running' OR (started_at IS NOT NULL AND claimed_by IS NOT NULL)),
    -- A pid is only ever stamped for a run.
    CONSTRAINT jobs_pid_belongs_to_run CHECK (pid IS NULL OR run_id IS NOT NULL),
    -- finished_at is set exactly for finished jobs.
    CONSTRAINT jobs_finished_at_iff_final CHECK (
        (status IN ('done', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);

-- The claim walks only queued rows, in claim order (priority first, then age).
CREATE INDEX jobs_claim_order ON jobs (priority DESC, id) WHERE status = 'queued';
-- Counting and walking running jobs (capacity, reaper, recovery) stays O(running).
CREATE INDEX jobs_running_by_node ON jobs (claimed_by) WHERE status = 'running';
-- Status counts for GET /api/queue: index-only scan.
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE agent_runs (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id             bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt            integer     NOT NULL CHECK (attempt >= 1),  -- 1 for the job's first run, 2 for the next...
    node_id            text        NOT NULL,
    host               text        NOT NULL,
    boot_id            text        NOT NULL,
    pid                bigint,
    process_started_at timestamptz,                    -- start time of the OS process: with pid and boot_id, its identity
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    exit_code          integer,
    outcome            text        CHECK (outcome IN ('done', 'retried', 'failed', 'transient', 'launch_failed',
                                                      'abandoned', 'superseded', 'cancelled')),
    error              text,
    log_path           text        NOT NULL,
    CONSTRAINT agent_runs_outcome_iff_finished CHECK ((finished_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX agent_runs_by_job ON agent_runs (job_id, id);
CREATE INDEX agent_runs_open_by_node ON agent_runs (node_id) WHERE finished_at IS NULL;
