package dev.orchestrator.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassPreloaderTest {
    @Test
    void loads_the_classes_the_orderly_stop_needs_at_start_up() {
        List<String> loaded = ClassPreloader.preload(Bootstrap.class, "dev.orchestrator");

        assertThat(loaded).contains("dev.orchestrator.run.TerminationReason$NodeShutdown",
                "dev.orchestrator.run.RunTermination$GivenUp", "dev.orchestrator.store.Sql$TextArray",
                "dev.orchestrator.node.OrchestratorNode");
        assertThat(loaded).noneMatch(n -> n.endsWith("package-info"));
    }

    @Test
    void a_prefix_without_classes_loads_nothing() {
        assertThat(ClassPreloader.preload(Bootstrap.class, "dev.orchestrator.nothing.here")).isEmpty();
    }
}
