/** Jakarta EE wiring: data sources, the clock, start-up and shutdown, timers. */
package dev.orchestrator.infrastructure.container;
