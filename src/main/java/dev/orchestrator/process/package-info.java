/**
 * OS processes: start agents without a shell in their own session, identify a process by pid,
 * start ticks and boot id, and signal whole process groups.
 */
package dev.orchestrator.process;
