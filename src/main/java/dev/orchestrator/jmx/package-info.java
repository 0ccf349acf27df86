/**
 * The JMX admin console: MXBeans in the {@code dev.orchestrator} domain ({@code type=Queue},
 * {@code type=Reaper}, {@code type=Node}, {@code type=Agent,name=...}) over the services and the
 * node, each attribute, operation and parameter described for JConsole and VisualVM. Plain Java:
 * {@code boot} registers the beans and hands them the container's context for the calls that
 * need it ({@link dev.orchestrator.jmx.InContainer}); operations act through
 * {@code service.JobControl} as {@code jmx:<user>} and land in the audit trail.
 */
package dev.orchestrator.jmx;
