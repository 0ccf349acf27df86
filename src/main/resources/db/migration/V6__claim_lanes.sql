-- Orchestrator schema, version 6: claims that stay cheap behind any backlog (ADR 0009).
--
-- The claim used to walk every queued job in claim order and filter each one through the gates, so
-- 100,000 gated jobs ahead of the one eligible job cost 100,000 filtered rows under the cluster-wide
-- claim lock. Now the queued jobs are grouped into LANES, one per (repo, agent, waiting), where
-- waiting = "some dependency is not done" (jobs.deps_pending > 0). The serial gate, pauses and
-- agent limits hold all jobs of a lane alike, so the claim skips a gated lane as one row; the
-- dependency gate holds every job of a waiting lane, so with the gate on those lanes are not read.
--
-- Two helper structures, kept by triggers so that every writer (the guarded statements, JPA,
-- retention, operator SQL) keeps them exact:
--   jobs.deps_pending  the number of the job's dependencies that are not done.
--   claim_lanes        lower bounds: every queued, not cancel-requested job has a row of its lane at
--                      or ahead of it in claim order (priority DESC, id). Rows may be stale in the
--                      other direction (pointing at a job that has left the lane, duplicates): that
--                      only costs time, and the claim compacts the rows it walked past.
-- The claim still applies every gate ({claimable}) to the job it takes: the structures only decide
-- where to look. See docs/internals.md "Claiming" for the concurrency argument.

ALTER TABLE jobs ADD COLUMN deps_pending integer NOT NULL DEFAULT 0;

CREATE TABLE claim_lanes (
    id       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repo     text    NOT NULL,
    agent    text    NOT NULL,
    waiting  boolean NOT NULL,
    priority integer NOT NULL,
    job_id   bigint  NOT NULL
);
-- The claim walks lanes in claim order: ready lanes only (dependency gate on), or all lanes.
CREATE INDEX claim_lanes_ready_order ON claim_lanes ((-priority::bigint), job_id, id) WHERE NOT waiting;
CREATE INDEX claim_lanes_order ON claim_lanes ((-priority::bigint), job_id, id);
-- The writers' coverage check and the compaction look lanes up.
CREATE INDEX claim_lanes_by_lane ON claim_lanes (repo, agent, waiting, (-priority::bigint), job_id);
-- The claim probes one lane for its first claimable job.
CREATE INDEX jobs_lane_order ON jobs (repo, agent, (deps_pending > 0), priority DESC, id)
    WHERE status = 'queued' AND NOT cancel_requested;

-- The existing rows (no writer can run meanwhile: ALTER TABLE above holds jobs exclusively until
-- this migration commits): the counts first, then one lane row per lane, at its head.
UPDATE jobs q SET deps_pending = c.n
  FROM (SELECT d.job_id, count(*) AS n FROM job_dependencies d JOIN jobs dj ON dj.id = d.depends_on
         WHERE dj.status <> 'done' GROUP BY d.job_id) c
 WHERE q.id = c.job_id;
INSERT INTO claim_lanes (repo, agent, waiting, priority, job_id)
SELECT DISTINCT ON (repo, agent, deps_pending > 0) repo, agent, deps_pending > 0, priority, id
  FROM jobs
 WHERE status = 'queued' AND NOT cancel_requested
 ORDER BY repo, agent, deps_pending > 0, priority DESC, id;

-- A job entering a lane (enqueued, requeued, retried, its last dependency done, moved) makes sure a
-- lane row covers it. It locks the covering row it relies on (FOR KEY SHARE) until it commits, so
-- that the claim's compaction, which only deletes rows it can lock FOR UPDATE, cannot remove it
-- before the new job is visible.
CREATE FUNCTION claim_lanes_cover_job(j_repo text, j_agent text, j_waiting boolean, j_priority integer,
                                      j_id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM claim_lanes l
      WHERE l.repo = j_repo AND l.agent = j_agent AND l.waiting = j_waiting
        AND (-l.priority::bigint, l.job_id) <= (-j_priority::bigint, j_id)
      ORDER BY -l.priority::bigint DESC, l.job_id DESC
      LIMIT 1
      FOR KEY SHARE;
    IF NOT FOUND THEN
        INSERT INTO claim_lanes (repo, agent, waiting, priority, job_id)
        VALUES (j_repo, j_agent, j_waiting, j_priority, j_id);
    END IF;
END
$$;

CREATE FUNCTION claim_lanes_cover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claim_lanes_cover_job(NEW.repo, NEW.agent, NEW.deps_pending > 0, NEW.priority, NEW.id);
    RETURN NULL;
END
$$;

-- A new job is covered when its transaction commits (a deferred trigger), in the lane it is in by
-- then: an enqueue inserts the job before its dependencies, and covering it at once would leave a
-- row in the ready lane that the claim would have to walk past until compacted.
CREATE FUNCTION claim_lanes_cover_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    j record;
BEGIN
    SELECT repo, agent, deps_pending, priority, id, status, cancel_requested INTO j FROM jobs WHERE id = NEW.id;
    IF FOUND AND j.status = 'queued' AND NOT j.cancel_requested THEN
        PERFORM claim_lanes_cover_job(j.repo, j.agent, j.deps_pending > 0, j.priority, j.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER jobs_claim_lanes_insert AFTER INSERT ON jobs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.status = 'queued' AND NOT NEW.cancel_requested)
    EXECUTE FUNCTION claim_lanes_cover_inserted();
CREATE TRIGGER jobs_claim_lanes_update AFTER UPDATE ON jobs FOR EACH ROW
    WHEN (NEW.status = 'queued' AND NOT NEW.cancel_requested
          AND (OLD.status <> 'queued' OR OLD.cancel_requested OR OLD.repo <> NEW.repo OR OLD.agent <> NEW.agent
               OR (OLD.deps_pending > 0) <> (NEW.deps_pending > 0) OR OLD.priority <> NEW.priority
               OR OLD.id <> NEW.id))
    EXECUTE FUNCTION claim_lanes_cover();

-- TRUNCATE jobs leaves no job to point at (DELETE, not TRUNCATE: the same TRUNCATE may list claim_lanes).
CREATE FUNCTION claim_lanes_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM claim_lanes;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_claim_lanes_truncate AFTER TRUNCATE ON jobs FOR EACH STATEMENT
    EXECUTE FUNCTION claim_lanes_truncate();

-- A dependency edge added or removed counts for its job while the dependency is not done. The
-- dependency's row is read under a share lock: a concurrent move of the dependency to or from done
-- either committed first (and is read here) or waits for this transaction (and then sees the edge).
CREATE FUNCTION deps_pending_on_edge() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s text;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO s FROM jobs WHERE id = NEW.depends_on FOR SHARE;
        IF FOUND AND s <> 'done' THEN
            UPDATE jobs SET deps_pending = deps_pending + 1 WHERE id = NEW.job_id;
        END IF;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        SELECT status INTO s FROM jobs WHERE id = OLD.depends_on FOR SHARE;
        IF FOUND AND s <> 'done' THEN
            UPDATE jobs SET deps_pending = deps_pending - 1 WHERE id = OLD.job_id;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER job_dependencies_deps_pending AFTER INSERT OR UPDATE OR DELETE ON job_dependencies
    FOR EACH ROW EXECUTE FUNCTION deps_pending_on_edge();

-- A job becoming done (or, by operator SQL, ceasing to be done) counts down (up) for its dependants:
-- work proportional to the jobs it unlocks. The dependants are locked in id order first, so two
-- finishing dependencies of the same jobs cannot deadlock; the increments are relative, so
-- concurrent ones compose.
CREATE FUNCTION deps_pending_on_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM jobs j
      WHERE j.id IN (SELECT d.job_id FROM job_dependencies d WHERE d.depends_on = NEW.id)
      ORDER BY j.id
      FOR NO KEY UPDATE;
    UPDATE jobs j SET deps_pending = j.deps_pending + CASE WHEN NEW.status = 'done' THEN -1 ELSE 1 END
      FROM job_dependencies d
     WHERE d.depends_on = NEW.id AND j.id = d.job_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER jobs_deps_pending AFTER UPDATE OF status ON jobs FOR EACH ROW
    WHEN ((OLD.status = 'done') <> (NEW.status = 'done'))
    EXECUTE FUNCTION deps_pending_on_status();
