/**
 * The client use cases: enqueue, look-ups, the queue overview and operators' control (cancel,
 * retry, pause, resume), with their commands and the exceptions the API maps to 400 and 409.
 */
package dev.orchestrator.service;
