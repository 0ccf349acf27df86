/**
 * The durable feed of job transitions (GET /api/events): each event, its position in the feed, and
 * the log they are read from (ADR 0013).
 */
package dev.orchestrator.domain.event;
