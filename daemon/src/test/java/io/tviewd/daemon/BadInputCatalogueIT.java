package io.tviewd.daemon;

import static io.tviewd.daemon.support.Sql.exec;
import static io.tviewd.daemon.support.Sql.session;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tviewd.config.DatabaseConfig;
import io.tviewd.daemon.support.BlogDatabase;
import io.tviewd.daemon.support.Cli;
import io.tviewd.daemon.support.Configs;
import io.tviewd.daemon.support.Daemons;
import io.vertx.core.json.JsonObject;

/**
 * The README's bad-input catalogue, daemon part: every {@code schema} row is created in one database and its tview
 * must be refused with the row's answer; every {@code http} row is sent to the daemon (token {@code s3cret}) and
 * must get the row's status and error; every {@code cli} row is run and must exit and print as the row says.
 */
class BadInputCatalogueIT {

    private record Row(int number, String kind, String input, String answer) {
    }

    private static List<Row> rows() throws Exception {
        String text = Files.readString(Path.of("..", "README.md"));
        String table = text.substring(text.indexOf("<!-- bad-input:start -->"), text.indexOf("<!-- bad-input:end -->"));
        List<Row> out = new ArrayList<>();
        for (String line : table.split("\n")) {
            if (line.matches("\\| \\d+ \\|.*")) {
                String[] cells = line.substring(1, line.length() - 1).split(" \\| ", 4);
                out.add(new Row(Integer.parseInt(cells[0].trim()), cells[1].trim(), unwrap(cells[2]), unwrap(cells[3])));
            }
        }
        return out;
    }

    private static String unwrap(String cell) {
        String c = cell.trim();
        return c.startsWith("`") && c.endsWith("`") ? c.substring(1, c.length() - 1) : c;
    }

    @Test
    void everyHttpCliAndSchemaRowOfTheReadmeCatalogue_getsItsAnswer(@TempDir Path dir) throws Exception {
        List<Row> rows = rows().stream().filter(r -> List.of("http", "cli", "schema").contains(r.kind())).toList();
        assertThat(rows).isNotEmpty();
        DatabaseConfig db = BlogDatabase.create("bad_input", 5, 10, 10);
        try (Connection c = session(db)) {
            for (Row r : rows) {
                if (r.kind().equals("schema")) {
                    exec(c, r.input());
                }
            }
        }
        List<String> wrong = new ArrayList<>();
        try (Daemon daemon = Daemons.started(Configs.forDatabase(db, "TVIEWD_CDC_SLOT_NAME", "bad_input", "TVIEWD_HTTP_TOKEN", "s3cret"))) {
            for (Row r : rows) {
                String got = switch (r.kind()) {
                    case "schema" -> {
                        Matcher m = Pattern.compile("CREATE TABLE (tv_\\w+)").matcher(r.input());
                        assertThat(m.find()).as("row %d creates a tv_ table", r.number()).isTrue();
                        yield String.valueOf(daemon.refused().get("public." + m.group(1)));
                    }
                    case "http" -> http(daemon.httpPort(), r.input());
                    default -> {
                        Path cfg = dir.resolve("tviewd.yaml");
                        Files.writeString(cfg, "database:\n  url: " + db.url() + "\n  user: " + db.user() + "\n  password: \""
                                + db.password().reveal() + "\"\n");
                        List<String> args = new ArrayList<>(List.of(r.input().replaceFirst("^tviewd ", "").split(" ")));
                        args.addAll(List.of("--config", cfg.toString()));
                        Cli.Result res = Cli.run(args.toArray(String[]::new));
                        yield "exit " + res.code() + ": " + res.err() + res.out();
                    }
                };
                if (!got.contains(r.answer())) {
                    wrong.add("row " + r.number() + " (" + r.input() + "): expected to contain [" + r.answer() + "], got [" + got + "]");
                }
            }
        }
        assertThat(wrong).as("catalogue rows whose answer differs").isEmpty();
    }

    /**
     * Sends {@code METHOD PATH<br>Header: value…<br>{body}} over a plain socket (java.net.http cannot set Host) and
     * returns {@code status: error} (the JSON error field, or the body).
     */
    private static String http(int port, String input) throws Exception {
        String[] parts = input.split("<br>");
        StringBuilder req = new StringBuilder(parts[0]).append(" HTTP/1.1\r\n");
        String body = "";
        boolean host = false;
        boolean length = false;
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].startsWith("{")) {
                body = parts[i];
            } else {
                req.append(parts[i]).append("\r\n");
                host |= parts[i].startsWith("Host:");
                length |= parts[i].startsWith("Content-Length:");
            }
        }
        if (!host) {
            req.append("Host: 127.0.0.1:").append(port).append("\r\n");
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!length) {
            req.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        req.append("Connection: close\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(bytes);
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String status = response.substring(9, 12);
            String payload = response.substring(response.indexOf("\r\n\r\n") + 4);
            if (response.toLowerCase().contains("transfer-encoding: chunked")) {
                payload = payload.substring(payload.indexOf("\r\n") + 2);
            }
            try {
                return status + ": " + new JsonObject(payload.substring(0, payload.lastIndexOf('}') + 1)).getString("error");
            } catch (RuntimeException e) {
                return status + ": " + payload;
            }
        }
    }
}
