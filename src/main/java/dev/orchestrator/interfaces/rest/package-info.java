/** The REST API under /api: thin resources, strict request parsing, DTOs and problem documents. */
package dev.orchestrator.interfaces.rest;
