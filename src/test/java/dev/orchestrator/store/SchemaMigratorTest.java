package dev.orchestrator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Start-up against an already migrated schema reports the version it found, not null. */
class SchemaMigratorTest {
    @Test
    void migrating_a_migrated_schema_applies_nothing_and_names_the_current_version() throws IOException {
        TestDatabase db = TestDatabase.get(); // migrated once already

        SchemaMigrator.Migration again = SchemaMigrator.migrate(db.dataSource(), getClass().getClassLoader());

        assertThat(again.applied()).isZero();
        assertThat(again.state().currentVersion()).isEqualTo(latestShippedVersion());
        assertThat(again.state().pending()).isZero();
        assertThat(SchemaMigrator.state(db.dataSource(), getClass().getClassLoader())).isEqualTo(again.state());
    }

    private static String latestShippedVersion() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max(Integer::compare)
                    .map(String::valueOf).orElseThrow();
        }
    }
}
