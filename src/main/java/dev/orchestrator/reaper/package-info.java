/**
 * The reaper: one pass of small steps (one per file, each behind {@code ReaperStep})
 * that keep the queue honest, each returning what it did; the pass never throws.
 */
package dev.orchestrator.reaper;
