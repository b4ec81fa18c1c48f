package io.tviewd.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The README's configuration table and the example config stay true to the key declarations. */
class ConfigDocsTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void readme_containsTheGeneratedConfigurationTable() throws Exception {
        String readme = Files.readString(ROOT.resolve("README.md"));
        assertThat(readme)
                .as("README.md's configuration table is out of date: run dev/readme-config-table")
                .contains(ConfigDocs.markdownTable());
    }

    @Test
    void exampleConfig_loadsWithoutProblems() {
        TviewdConfig c = ConfigLoader.load(ROOT.resolve("tviewd.example.yaml"), Map.of());
        assertThat(c.database().url()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/app");
        assertThat(c.tviews()).hasSize(1);
    }

    @Test
    void exampleConfig_mentionsEveryTopLevelSection() throws Exception {
        String example = Files.readString(ROOT.resolve("tviewd.example.yaml"));
        ConfigKeys.all().keySet().stream().map(k -> k.contains(".") ? k.substring(0, k.indexOf('.')) : k).distinct()
                .forEach(section -> assertThat(example).contains(section + ":"));
    }
}
