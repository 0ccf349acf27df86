/** Agents (server-side command lines) and the value objects that keep client input away from paths. */
package dev.orchestrator.domain.agent;
