-- Orchestrator schema, version 4: who submitted each job, and the audit trail of control actions.
--
-- submitted_by is the name of the API token that enqueued the job (NULL for jobs enqueued before
-- authentication existed).
ALTER TABLE jobs ADD COLUMN submitted_by text
    CONSTRAINT jobs_submitted_by_length CHECK (char_length(submitted_by) <= 200);

-- One row per control action (cancel, retry, pause, resume) and per refused attempt at one or
-- at an enqueue (401, 403), written in the same transaction as the action where there is one.
-- actor: the token's name, "jmx:USER", or NULL when no valid token was presented.
-- target: "job:ID", "repo:NAME", "*" (everything) or the request path of a refusal.
-- result: done, in_progress, not_found, conflict, unauthenticated, forbidden, invalid.
CREATE TABLE audit_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             timestamptz NOT NULL,
    actor          text CHECK (char_length(actor) <= 200),
    action         text NOT NULL CHECK (char_length(action) <= 64),
    target         text NOT NULL CHECK (char_length(target) <= 400),
    result         text NOT NULL CHECK (char_length(result) <= 64),
    detail         text CHECK (char_length(detail) <= 2000),
    client_address text CHECK (char_length(client_address) <= 200)
);

-- Retention deletes by age; the listing pages by id, newest first, optionally for one actor.
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
