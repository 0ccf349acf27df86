/**
 * Running jobs on this node: the dispatcher (claims), the run starter (attach, spawn, stamp), run
 * completion (the fenced finish from an exit status), the watched runs, the one way a run is
 * terminated before its job is taken back, and the retry, exit and back-off policies.
 */
package dev.orchestrator.run;
