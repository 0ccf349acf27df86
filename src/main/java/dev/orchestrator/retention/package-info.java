/** Pruning of old finished jobs with their runs and run files. */
package dev.orchestrator.retention;
