/**
 * Application services: dispatching, starting and finishing runs, recovery and the reaper. Plain
 * classes wired by {@link dev.orchestrator.application.OrchestratorNode}; the container supplies
 * threads, the data source and the clock.
 */
package dev.orchestrator.application;
