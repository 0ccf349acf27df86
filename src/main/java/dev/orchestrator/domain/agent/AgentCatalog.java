package dev.orchestrator.domain.agent;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The agents this server may run, by name. Immutable; loaded once at start-up. */
public final class AgentCatalog {
    private final Map<String, AgentDefinition> byName;

    public AgentCatalog(Map<String, AgentDefinition> agents) {
        this.byName = Collections.unmodifiableMap(new TreeMap<>(agents));
    }

    public Optional<AgentDefinition> find(String name) {
        return Optional.ofNullable(name == null ? null : byName.get(name));
    }

    /** Agent name -> its own limit, for agents that have one. */
    public Map<String, Integer> limits() {
        Map<String, Integer> limits = new TreeMap<>();
        byName.values().stream().filter(a -> a.maxConcurrency() != null)
                .forEach(a -> limits.put(a.name(), a.maxConcurrency()));
        return limits;
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }
}
