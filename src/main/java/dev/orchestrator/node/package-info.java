/**
 * This node among others: the wiring of its parts, its lease (heartbeat and self-fencing), lease
 * reclaim of other nodes and the recovery of dead nodes' runs, at start-up and by the reaper.
 */
package dev.orchestrator.node;
