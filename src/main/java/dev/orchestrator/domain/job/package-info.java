/**
 * The job aggregate: the {@link dev.orchestrator.domain.job.Job} entity, its status machine and the
 * entity listener that enforces the run-ownership invariant for entity-managed writes.
 */
package dev.orchestrator.domain.job;
