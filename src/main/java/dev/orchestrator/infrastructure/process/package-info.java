/** OS processes: starting agents in their own process group, identifying and signalling them. */
package dev.orchestrator.infrastructure.process;
