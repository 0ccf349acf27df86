-- Orchestrator schema, version 7: the durable event feed behind GET /api/events.
--
-- Every transition of a job (and every pause and resume of claiming) writes one row here, in the
-- transaction that makes the transition, so a client that resumes from the last event it saw misses
-- nothing and sees nothing twice. Rows are written by statement-level triggers with transition tables:
-- one trigger call per statement, however many jobs a batch enqueue or a sweep touches.
--
-- Order. An event's position is (tx, seq): the id of the transaction that wrote it, then its place
-- within that transaction. A global sequence would not be a safe cursor: its values are taken before
-- commit, so a later value can become visible before an earlier one, and a reader that had moved past
-- the later one would skip the earlier one for good. (Nor may the triggers call nextval(): JPA reads a
-- new job's id with lastval(), which would then return the event's number.) Readers take only events whose transaction is older than every
-- transaction still running (tx < pg_snapshot_xmin(pg_current_snapshot())); those are all committed or
-- rolled back, and any event that commits later has a larger tx than every event already read. A
-- job's own transitions are in separate transactions, each begun after the previous one committed, so
-- they keep their order. The price: while a writing transaction stays open, the events after it wait.
CREATE TABLE job_events (
    tx           xid8        NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigint      NOT NULL,   -- 1, 2, 3... within its transaction (job_events_next_seq)
    at           timestamptz NOT NULL,
    type         text        NOT NULL CHECK (type IN ('enqueued', 'claimed', 'started', 'finished', 'cancelled',
                                                      'retried', 'paused', 'resumed')),
    job_id       bigint,                 -- no FK: events outlive nothing but are pruned on their own clock
    repo         text,
    agent        text,
    status       text,                   -- the job's status after the transition
    run_id       bigint,
    node         text,                   -- claimed_by: the node running it
    attempts     integer,
    available_at timestamptz,            -- retried: when it may be claimed again
    scope        text,                   -- paused/resumed: '*' or 'repo:NAME'
    PRIMARY KEY (tx, seq)
);

-- The newest position retention has deleted: a client resuming from before it has missed events.
CREATE TABLE job_events_pruned (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    tx  xid8    NOT NULL,
    seq bigint  NOT NULL
);
INSERT INTO job_events_pruned (tx, seq) VALUES ('0', 0);

-- The transaction's event counter: each trigger numbers its rows after the last number this transaction
-- used, then records the new last one. Kept in a setting local to the transaction (the next transaction
-- starts again from 0; a savepoint rolled back takes its numbers back with its rows).
CREATE FUNCTION job_events_last_seq() RETURNS bigint LANGUAGE sql AS $$
    SELECT coalesce(nullif(current_setting('orchestrator.event_seq', true), ''), '0')::bigint
$$;

CREATE FUNCTION job_events_used_seq(last bigint) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('orchestrator.event_seq', last::text, true)
$$;

CREATE FUNCTION job_events_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    base bigint := job_events_last_seq();
    written bigint;
BEGIN
    WITH ev AS (
        INSERT INTO job_events (seq, at, type, job_id, repo, agent, status, attempts, available_at)
        SELECT base + row_number() OVER (ORDER BY i.id), i.created_at, 'enqueued', i.id, i.repo, i.agent,
               i.status, i.attempts, i.available_at
          FROM inserted i
        RETURNING 1)
    SELECT count(*) INTO written FROM ev;
    PERFORM job_events_used_seq(base + written);
    RETURN NULL;
END $$;

CREATE FUNCTION job_events_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    base bigint := job_events_last_seq();
    written bigint;
BEGIN
    WITH ev AS (
        INSERT INTO job_events (seq, at, type, job_id, repo, agent, status, run_id, node, attempts, available_at)
        SELECT base + row_number() OVER (ORDER BY n.id, t.ord), n.updated_at, t.type, n.id, n.repo, n.agent,
               n.status, n.run_id, n.claimed_by, n.attempts, CASE WHEN t.type = 'retried' THEN n.available_at END
          FROM old_rows o
          JOIN new_rows n ON n.id = o.id
         CROSS JOIN LATERAL (VALUES
                (1, 'claimed',   o.status = 'queued' AND n.status = 'running'),
                (2, 'started',   n.status = 'running' AND n.pid IS NOT NULL AND o.pid IS DISTINCT FROM n.pid),
                (3, 'finished',  o.status NOT IN ('done', 'failed') AND n.status IN ('done', 'failed')),
                (3, 'cancelled', o.status <> 'cancelled' AND n.status = 'cancelled'),
                (3, 'retried',   o.status <> 'queued' AND n.status = 'queued')) AS t(ord, type, happened)
         WHERE t.happened
        RETURNING 1)
    SELECT count(*) INTO written FROM ev;
    IF written > 0 THEN
        PERFORM job_events_used_seq(base + written);
    END IF;
    RETURN NULL;
END $$;

-- Pauses and resumes: one function for both, the trigger's operation telling which (a resume has no
-- time of its own in the table: the database's clock).
CREATE FUNCTION job_events_on_claim_pauses() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    base bigint := job_events_last_seq();
    written bigint;
BEGIN
    WITH ev AS (
        INSERT INTO job_events (seq, at, type, repo, scope)
        SELECT base + row_number() OVER (ORDER BY c.scope),
               CASE WHEN TG_OP = 'INSERT' THEN c.paused_at ELSE clock_timestamp() END,
               CASE WHEN TG_OP = 'INSERT' THEN 'paused' ELSE 'resumed' END,
               CASE WHEN c.scope LIKE 'repo:%' THEN substr(c.scope, 6) END, c.scope
          FROM changed c
        RETURNING 1)
    SELECT count(*) INTO written FROM ev;
    PERFORM job_events_used_seq(base + written);
    RETURN NULL;
END $$;

CREATE TRIGGER job_events_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION job_events_on_insert();
CREATE TRIGGER job_events_update AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_events_on_update();
CREATE TRIGGER job_events_pause AFTER INSERT ON claim_pauses
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION job_events_on_claim_pauses();
CREATE TRIGGER job_events_resume AFTER DELETE ON claim_pauses
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION job_events_on_claim_pauses();
