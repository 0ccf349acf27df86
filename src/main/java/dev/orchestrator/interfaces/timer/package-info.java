/** EJB timers: triggers only; the work lives in the application layer. */
package dev.orchestrator.interfaces.timer;
