/** Runs: one record per attempt of a job, with the identity of the OS process that ran it. */
package dev.orchestrator.domain.run;
