-- Orchestrator schema, version 2: scheduling gates, job control, idempotent enqueue, listing and retention.

-- Dependencies: a job is claimable only when every job it depends on is done. Fixed at enqueue
-- (a new job can only depend on existing jobs, so no cycle can ever form).
CREATE TABLE job_dependencies (
    job_id     bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    depends_on bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (job_id, depends_on),
    CONSTRAINT job_dependencies_not_self CHECK (job_id <> depends_on)
);
CREATE INDEX job_dependencies_by_dependency ON job_dependencies (depends_on);

-- Durable pauses of claiming: scope '*' pauses everything, 'repo:NAME' one repo.
CREATE TABLE claim_pauses (
    scope     text        PRIMARY KEY CHECK (scope = '*' OR scope LIKE 'repo:%'),
    paused_at timestamptz NOT NULL
);

ALTER TABLE jobs
    ADD COLUMN idempotency_key  text,
    ADD COLUMN request_hash     text,
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT jobs_idempotency_has_hash CHECK ((idempotency_key IS NULL) = (request_hash IS NULL));
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The serial gate and the per-agent limit count running jobs by repo / agent: O(running).
CREATE INDEX jobs_running_by_repo ON jobs (repo) WHERE status = 'running';
CREATE INDEX jobs_running_by_agent ON jobs (agent) WHERE status = 'running';

-- Listing, newest first, with optional filters; keyset pagination on id.
DROP INDEX jobs_status;
CREATE INDEX jobs_status_id ON jobs (status, id DESC);
CREATE INDEX jobs_repo_id ON jobs (repo, id DESC);
CREATE INDEX jobs_agent_id ON jobs (agent, id DESC);

-- Retention walks only finished jobs, oldest first.
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;
