/**
 * The REST API under /api: thin JAX-RS resources (parse, one service call, DTO), the strict
 * request parser, the wire DTOs, shared parameter checks and problem documents for every error.
 */
package dev.orchestrator.api;
