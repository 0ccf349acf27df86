/**
 * A run's directory on disk: its layout (log, payload, exit status file), reading the exit status
 * its wrapper left, and the end of its log.
 */
package dev.orchestrator.runfiles;
