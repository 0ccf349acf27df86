package dev.orchestrator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Per test: an emptied database, a data directory of its own, and a {@link NodeHarness} built with
 * the test class's defaults; after the test, every harness it handed out is closed (its node
 * stopped, its agents killed) and the directory removed. Register it on an instance field:
 * <pre>
 * &#64;RegisterExtension
 * final NodeHarnessExtension nodes = NodeHarnessExtension.withDefaults(b -&gt; b.killGraceSeconds(2));
 * </pre>
 */
public final class NodeHarnessExtension implements BeforeEachCallback, AfterEachCallback {
    private final Consumer<NodeHarness.Builder> defaults;
    private final Deque<NodeHarness> open = new ArrayDeque<>();
    private Path dataDir;
    private QueueFixture fixture;
    private NodeHarness harness;

    private NodeHarnessExtension(Consumer<NodeHarness.Builder> defaults) {
        this.defaults = defaults;
    }

    /** Harnesses built with these defaults (a test may still {@link NodeHarness#configure} its own). */
    public static NodeHarnessExtension withDefaults(Consumer<NodeHarness.Builder> defaults) {
        return new NodeHarnessExtension(defaults);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        Path root = Path.of(System.getProperty("orch.test.work-dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(root);
        dataDir = Files.createTempDirectory(root, context.getRequiredTestClass().getSimpleName() + "-");
        fixture = new QueueFixture();
        harness = another();
    }

    /** The test's harness. */
    public NodeHarness harness() {
        return harness;
    }

    /**
     * One more harness on the same database state and data directory (a second node, or one with
     * other switches), closed after the test if the test does not close it first.
     */
    public NodeHarness another() {
        NodeHarness.Builder b = NodeHarness.builder(dataDir, fixture);
        defaults.accept(b);
        NodeHarness h = b.build();
        open.push(h);
        return h;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        RuntimeException failure = null;
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        deleteQuietly(dataDir);
        if (failure != null) {
            throw failure;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a leftover directory under target/ is harmless; the test's verdict is what matters
        }
    }
}
