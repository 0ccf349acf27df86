/**
 * The launcher behind {@code mvn -Prun}: embedded PostgreSQL (or an external one), Payara Micro
 * with the WAR, orderly shutdown. Runs outside the server and is not packaged in the WAR.
 */
package dev.orchestrator.launcher;
