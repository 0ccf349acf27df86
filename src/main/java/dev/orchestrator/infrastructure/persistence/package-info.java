/** PostgreSQL: the queue's guarded SQL (JDBC), JPA repositories and schema migrations. */
package dev.orchestrator.infrastructure.persistence;
