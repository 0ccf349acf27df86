/**
 * Who may do what: API tokens (kept only as SHA-256 hashes), their roles (read &lt; submit &lt;
 * operate &lt; admin, each including the ones below), the repo patterns a token may be limited to,
 * and the caller a request acts as. Plain Java; the HTTP mechanism lives in {@code api}.
 */
package dev.orchestrator.domain.access;
