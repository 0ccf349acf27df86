/**
 * PostgreSQL: the queue's guarded statements on the queue's own pool (one store per concern, each
 * statement beside its binder, bound by name; the enqueue among them), the JPA repository, and
 * schema migrations.
 */
package dev.orchestrator.store;
