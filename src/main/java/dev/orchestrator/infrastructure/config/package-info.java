/** Settings ({@code ORCH_*}) and the agents file: read once, validated, errors that name the setting. */
package dev.orchestrator.infrastructure.config;
