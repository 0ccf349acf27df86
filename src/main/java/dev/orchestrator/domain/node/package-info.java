/** Nodes: server incarnations that claim and run jobs. */
package dev.orchestrator.domain.node;
