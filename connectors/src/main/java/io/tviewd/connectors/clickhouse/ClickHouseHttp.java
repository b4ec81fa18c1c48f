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
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.timeout());
        if (config.endpoint().getScheme().equalsIgnoreCase("http")) {
            // no TLS to make: a context that trusts nothing spares the client loading the default one (the JDK's trust
            // store, ~0.2 s of a command's start)
            builder.sslContext(plainOnly());
        }
        this.client = builder.build();
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(
                (config.user() + ":" + config.password().reveal()).getBytes(StandardCharsets.UTF_8));
    }

    private static javax.net.ssl.SSLContext plainOnly() {
        try {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[0], new javax.net.ssl.TrustManager[0], null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no TLS context: " + e.getMessage(), e);
        }
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

    /** Writes a body's rows. */
    @FunctionalInterface
    public interface RowsWriter {
        void write(java.io.OutputStream out) throws Exception;
    }

    /**
     * Inserts the JSONEachRow lines {@code rows} writes, sent while they are written ({@link StreamedBody}): ClickHouse
     * parses the first rows while the writer makes the next. When the writer fails, nothing is stored and its exception
     * is thrown; when the request fails first, its failure is.
     *
     * @return the bytes sent
     */
    public long insertJsonEachRow(String table, RowsWriter rows) throws Exception {
        String query = "INSERT INTO " + table + " FORMAT JSONEachRow";
        URI uri = URI.create(config.endpoint() + "?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        StreamedBody body = new StreamedBody();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> response = client.sendAsync(
                request(uri, HttpRequest.BodyPublishers.ofInputStream(body::input)), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        body.readBy(response);
        try {
            rows.write(body.output());
            body.end();
        } catch (StreamedBody.Abandoned e) {
            // the request ended before the body: its answer says why
        } catch (Exception | Error e) {
            body.abort();
            try {
                response.get(config.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception ignored) {
                // the writer's failure is the one to report
            }
            throw e;
        }
        HttpResponse<String> answer;
        try {
            answer = response.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw failure(e.getCause());
        }
        check(answer);
        return body.written();
    }

    /** The server's version ({@code 18.16.1}, {@code 24.3.2.23}). */
    public String version() throws IOException, InterruptedException {
        return execute("SELECT version()").strip();
    }

    private String send(URI uri, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = client.send(request(uri, body), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException | java.net.ConnectException e) {
            throw failure(e);
        }
        return check(response);
    }

    private HttpRequest request(URI uri, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(uri).timeout(config.timeout()).header("Authorization", authorization)
                .header("Content-Type", "text/plain; charset=UTF-8").POST(body).build();
    }

    private static String check(HttpResponse<String> response) throws ClickHouseException {
        if (response.statusCode() != 200) {
            throw new ClickHouseException(response.statusCode(), response.body());
        }
        return response.body();
    }

    /** A request's failure as the sink reports it: a timeout or a refused connection said in words, others as they are. */
    private IOException failure(Throwable e) {
        if (e instanceof java.net.http.HttpTimeoutException) {
            return new IOException("ClickHouse at " + config.endpoint() + " did not answer within " + config.timeout().toMillis() + " ms", e);
        }
        if (e instanceof java.net.ConnectException) {
            return new IOException("cannot connect to ClickHouse at " + config.endpoint() + " (" + (e.getMessage() == null ? "refused" : e.getMessage())
                    + ")", e);
        }
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
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
