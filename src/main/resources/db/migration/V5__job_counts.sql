-- Orchestrator schema, version 5: job counts by status, maintained by triggers (ADR 0008).
--
-- GET /api/queue, the metrics and JMX read the counts from here instead of count(*) over jobs,
-- which grows with the history. Every writer of jobs (JPA, the guarded statements, the reaper,
-- retention, an operator's SQL) moves the counts in its own transaction through the triggers below,
-- so the sum over job_counts equals count(*) over jobs in every snapshot.
--
-- Striped, so that concurrent transitions never wait for one another: slots 0..63 are the base
-- rows; a writer adds its deltas to the first base row no other transaction holds (SKIP LOCKED,
-- starting at a slot chosen by its backend), so a counter row's lock, held until commit, never
-- serialises enqueues. When every base row is taken, or the writer runs above READ COMMITTED
-- (where updating a row changed after its snapshot would be a serialization failure), the writer
-- inserts a row of its own from job_counts_extra_slot instead; job_counts_compact() folds those
-- rows into slot 0 (the reaper calls it on every pass). The count of a status is sum() over all
-- rows, never one row.
CREATE TABLE job_counts (
    slot      bigint PRIMARY KEY CHECK (slot >= 0),
    queued    bigint NOT NULL DEFAULT 0,
    running   bigint NOT NULL DEFAULT 0,
    done      bigint NOT NULL DEFAULT 0,
    failed    bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

CREATE SEQUENCE job_counts_extra_slot AS bigint START WITH 64;

-- Adds one statement's deltas to a counter row (nothing when they are all 0). The first free base
-- row from the backend's own slot on (then from slot 0): one index probe when nobody else holds it.
CREATE FUNCTION job_counts_add(d_queued bigint, d_running bigint, d_done bigint, d_failed bigint,
                               d_cancelled bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    start_slot bigint;
BEGIN
    IF d_queued = 0 AND d_running = 0 AND d_done = 0 AND d_failed = 0 AND d_cancelled = 0 THEN
        RETURN;
    END IF;
    IF current_setting('transaction_isolation') = 'read committed' THEN
        FOREACH start_slot IN ARRAY ARRAY[pg_backend_pid() % 64, 0] LOOP
            UPDATE job_counts
               SET queued = queued + d_queued, running = running + d_running, done = done + d_done,
                   failed = failed + d_failed, cancelled = cancelled + d_cancelled
             WHERE slot = (SELECT slot FROM job_counts WHERE slot >= start_slot AND slot < 64
                            ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED);
            IF FOUND THEN
                RETURN;
            END IF;
        END LOOP;
    END IF;
    INSERT INTO job_counts (slot, queued, running, done, failed, cancelled)
    VALUES (nextval('job_counts_extra_slot'), d_queued, d_running, d_done, d_failed, d_cancelled);
END $$;

CREATE FUNCTION job_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_counts_add(count(*) FILTER (WHERE status = 'queued'),
                           count(*) FILTER (WHERE status = 'running'),
                           count(*) FILTER (WHERE status = 'done'),
                           count(*) FILTER (WHERE status = 'failed'),
                           count(*) FILTER (WHERE status = 'cancelled'))
       FROM inserted;
    RETURN NULL;
END $$;

CREATE FUNCTION job_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_counts_add(-count(*) FILTER (WHERE status = 'queued'),
                           -count(*) FILTER (WHERE status = 'running'),
                           -count(*) FILTER (WHERE status = 'done'),
                           -count(*) FILTER (WHERE status = 'failed'),
                           -count(*) FILTER (WHERE status = 'cancelled'))
       FROM deleted;
    RETURN NULL;
END $$;

-- An UPDATE keeps the number of rows: the deltas are the new statuses minus the old ones, 0 for
-- every update that leaves the status alone (run attach, pid stamp, cancel request), which then
-- touches no counter row.
CREATE FUNCTION job_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM job_counts_add(sum(CASE WHEN status = 'queued' THEN change ELSE 0 END)::bigint,
                           sum(CASE WHEN status = 'running' THEN change ELSE 0 END)::bigint,
                           sum(CASE WHEN status = 'done' THEN change ELSE 0 END)::bigint,
                           sum(CASE WHEN status = 'failed' THEN change ELSE 0 END)::bigint,
                           sum(CASE WHEN status = 'cancelled' THEN change ELSE 0 END)::bigint)
       FROM (SELECT status, -1 AS change FROM old_rows
             UNION ALL
             SELECT status, 1 FROM new_rows) AS changes
     HAVING count(*) > 0;
    RETURN NULL;
END $$;

-- TRUNCATE holds jobs exclusively: no writer of jobs runs meanwhile.
CREATE FUNCTION job_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM job_counts WHERE slot >= 64;
    UPDATE job_counts SET queued = 0, running = 0, done = 0, failed = 0, cancelled = 0;
    RETURN NULL;
END $$;

-- Folds the rows beyond the base slots into slot 0, in one statement (so nothing is lost or
-- counted twice); returns how many rows were folded. Waits at most for the one transaction that
-- holds slot 0. Rows inserted by transactions still in progress are invisible and stay for later.
CREATE FUNCTION job_counts_compact() RETURNS bigint LANGUAGE sql AS $$
    WITH folded AS (DELETE FROM job_counts WHERE slot >= 64 RETURNING *),
         total AS (SELECT count(*) AS rows, coalesce(sum(queued), 0) AS queued,
                          coalesce(sum(running), 0) AS running, coalesce(sum(done), 0) AS done,
                          coalesce(sum(failed), 0) AS failed, coalesce(sum(cancelled), 0) AS cancelled
                     FROM folded),
         base AS (UPDATE job_counts c
                     SET queued = c.queued + t.queued, running = c.running + t.running,
                         done = c.done + t.done, failed = c.failed + t.failed,
                         cancelled = c.cancelled + t.cancelled
                    FROM total t
                   WHERE c.slot = 0 AND t.rows > 0)
    SELECT rows FROM total
$$;

-- Recounts from jobs, for an operator after writes that bypassed the triggers (session_replication_role
-- = replica, as pg_restore --disable-triggers sets; ALTER TABLE jobs DISABLE TRIGGER). Blocks the
-- writers of jobs while it counts.
CREATE FUNCTION job_counts_recount() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM job_counts;
    INSERT INTO job_counts (slot) SELECT generate_series(0, 63);
    UPDATE job_counts c
       SET queued = n.queued, running = n.running, done = n.done, failed = n.failed, cancelled = n.cancelled
      FROM (SELECT count(*) FILTER (WHERE status = 'queued') AS queued,
                   count(*) FILTER (WHERE status = 'running') AS running,
                   count(*) FILTER (WHERE status = 'done') AS done,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'cancelled') AS cancelled
              FROM jobs) AS n
     WHERE c.slot = 0;
END $$;

CREATE TRIGGER job_counts_insert AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_insert();
CREATE TRIGGER job_counts_update AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_update();
CREATE TRIGGER job_counts_delete AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_delete();
CREATE TRIGGER job_counts_truncate AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_truncate();

-- Start exact on a database with history: the recount locks jobs against writers (other nodes
-- still on the previous version) until this migration commits, so no transition falls between
-- the count and the triggers.
SELECT job_counts_recount();
