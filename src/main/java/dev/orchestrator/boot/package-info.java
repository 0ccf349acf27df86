/**
 * The composition root: the only package that knows the container. It validates the settings,
 * opens the pools, migrates the schema, wires the node from plain parts, hands the services to CDI
 * (resources and timers receive them by {@code @Inject}) and drives the EJB timers. Everything
 * else is plain Java that tests build without a container.
 */
package dev.orchestrator.boot;
