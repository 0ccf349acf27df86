/** The audit trail's events: who did (or tried) which control action to what, with what result. */
package dev.orchestrator.domain.audit;
