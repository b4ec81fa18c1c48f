package io.tviewd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The README's bad-input catalogue, config part: every {@code env} and {@code yaml} row is loaded and must be refused
 * with a message containing the row's answer. The daemon module checks the other kinds.
 */
class BadInputCatalogueTest {

    /** One row of the catalogue: number, kind, input and the answer excerpt (code spans unwrapped). */
    record Row(int number, String kind, String input, String answer) {
    }

    /** The rows between the README's {@code bad-input} markers. */
    static List<Row> rows(Path readme) throws Exception {
        String text = Files.readString(readme);
        int start = text.indexOf("<!-- bad-input:start -->");
        int end = text.indexOf("<!-- bad-input:end -->");
        assertThat(start).as("README.md has the bad-input catalogue markers").isPositive();
        List<Row> out = new ArrayList<>();
        for (String line : text.substring(start, end).split("\n")) {
            if (!line.matches("\\| \\d+ \\|.*")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split(" \\| ", 4);
            out.add(new Row(Integer.parseInt(cells[0].trim()), cells[1].trim(), unwrap(cells[2]), unwrap(cells[3])));
        }
        return out;
    }

    private static String unwrap(String cell) {
        String c = cell.trim();
        return c.startsWith("`") && c.endsWith("`") ? c.substring(1, c.length() - 1) : c;
    }

    @Test
    void everyConfigRowOfTheReadmeCatalogue_isRefusedWithItsMessage() throws Exception {
        List<Row> rows = rows(Path.of("..", "README.md"));
        assertThat(rows).as("catalogue rows").hasSizeGreaterThanOrEqualTo(25);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).number()).as("rows are numbered in order").isEqualTo(i + 1);
        }
        int checked = 0;
        for (Row r : rows) {
            switch (r.kind()) {
                case "env" -> {
                    Map<String, String> env = new HashMap<>();
                    for (String assignment : r.input().split("<br>")) {
                        int eq = assignment.indexOf('=');
                        env.put(assignment.substring(0, eq).trim(), assignment.substring(eq + 1));
                    }
                    assertThatThrownBy(() -> ConfigLoader.load(null, env)).as("row %d: %s", r.number(), r.input())
                            .isInstanceOf(ConfigException.class).hasMessageContaining(r.answer());
                    checked++;
                }
                case "yaml" -> {
                    assertThatThrownBy(() -> ConfigLoader.loadYaml(r.input().replace("⏎", "\n") + "\n", Map.of()))
                            .as("row %d: %s", r.number(), r.input()).isInstanceOf(ConfigException.class).hasMessageContaining(r.answer());
                    checked++;
                }
                case "http", "cli", "schema" -> {
                    // checked against a running daemon by BadInputCatalogueIT
                }
                default -> throw new AssertionError("row " + r.number() + " has an unknown kind '" + r.kind() + "'");
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(25);
    }
}
