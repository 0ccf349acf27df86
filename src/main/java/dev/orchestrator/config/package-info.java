/**
 * Settings from the environment (MicroProfile Config), the agents file and the database settings,
 * each validated with an error naming the setting. Read by {@code boot} (and the launcher) only;
 * the parts below receive plain values.
 */
package dev.orchestrator.config;
