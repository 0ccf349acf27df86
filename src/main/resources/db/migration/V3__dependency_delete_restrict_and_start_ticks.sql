-- Orchestrator schema, version 3: a job that another job depends on can no longer be deleted, and
-- process identity records start ticks.
--
-- Retention never selects such a job, but a dependant enqueued while the prune's DELETE waited
-- for its lock was not re-checked, and ON DELETE CASCADE then removed the new dependency row:
-- the dependant would have run with no dependency. RESTRICT makes that DELETE fail instead (the
-- retention pass logs it and the next pass skips the job). Deleting a dependant still removes its
-- own dependency rows (job_id stays ON DELETE CASCADE).
ALTER TABLE job_dependencies
    DROP CONSTRAINT job_dependencies_depends_on_fkey,
    ADD CONSTRAINT job_dependencies_depends_on_fkey
        FOREIGN KEY (depends_on) REFERENCES jobs (id) ON DELETE RESTRICT;

-- Process identity by start ticks. The JDK derives a process's start instant from the kernel's
-- boot time as each JVM reads it, which moves when the wall clock is stepped; the start time in
-- clock ticks since boot (/proc/PID/stat, field 22) does not. Rows written before this version
-- have no ticks and are still judged by the start instant.
ALTER TABLE agent_runs ADD COLUMN process_start_ticks bigint;
ALTER TABLE nodes ADD COLUMN jvm_start_ticks bigint;
