package io.tviewd.connectors.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import io.tviewd.config.ClickHouseConfig;

/**
 * The few requests the sink needs, over ClickHouse's HTTP interface (port 8123, or TLS with {@code https://}):
 * a statement in the body, or an {@code INSERT … FORMAT JSONEachRow} whose rows are the body. HTTP basic
 * authentication, which every ClickHouse release accepts (18.16, the one Debian ships, included). No official
 * client: they do not speak to 18.16.
 */
public final class ClickHouseHttp {

    private final ClickHouseConfig config;
    private final HttpClient client;
    private final String authorization;

    public ClickHouseHttp(ClickHouseConfig config) {
        this.config = config;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.timeout()).build();
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(
                (config.user() + ":" + config.password().reveal()).getBytes(StandardCharsets.UTF_8));
    }

    /** Runs one statement; returns the answer's body (rows in the format the statement asks for). */
    public String execute(String sql) throws IOException, InterruptedException {
        return send(config.endpoint(), HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8));
    }

    /** Inserts rows (one JSON object per line, the first {@code length} bytes of {@code rows}) into {@code table} (already quoted and qualified). */
    public void insertJsonEachRow(String table, byte[] rows, int length) throws IOException, InterruptedException {
        String query = "INSERT INTO " + table + " FORMAT JSONEachRow";
        URI uri = URI.create(config.endpoint() + "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        send(uri, HttpRequest.BodyPublishers.ofByteArray(rows, 0, length));
    }

    /** The server's version ({@code 18.16.1}, {@code 24.3.2.23}). */
    public String version() throws IOException, InterruptedException {
        return execute("SELECT version()").strip();
    }

    private String send(URI uri, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(config.timeout()).header("Authorization", authorization)
                .header("Content-Type", "text/plain; charset=UTF-8").POST(body).build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException e) {
            throw new IOException("ClickHouse at " + config.endpoint() + " did not answer within " + config.timeout().toMillis() + " ms", e);
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot connect to ClickHouse at " + config.endpoint() + " (" + (e.getMessage() == null ? "refused" : e.getMessage())
                    + ")", e);
        }
        if (response.statusCode() != 200) {
            throw new ClickHouseException(response.statusCode(), response.body());
        }
        return response.body();
    }

    /** Quotes an identifier for ClickHouse SQL: {@code `name`}. */
    public static String quote(String identifier) {
        return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`";
    }

    /** A string literal for ClickHouse SQL. */
    public static String literal(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** How long requests may take (also the connect timeout). */
    public Duration timeout() {
        return config.timeout();
    }
}
