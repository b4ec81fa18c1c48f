package io.tviewd.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tviewd.config.ClickHouseConfig;
import io.tviewd.config.Secret;
import io.tviewd.connectors.clickhouse.ClickHouseException;
import io.tviewd.connectors.clickhouse.ClickHouseHttp;
import io.tviewd.daemon.support.TestClickHouse;

/**
 * Inserts whose body is sent while it is written (the copies' way): against a real ClickHouse, every row arrives, a
 * writer that fails leaves nothing stored, and an answer that comes before the body ends the writer instead of
 * leaving it waiting.
 */
class ClickHouseStreamedInsertIT {

    private static TestClickHouse clickhouse;
    private static ClickHouseHttp http;

    @BeforeAll
    static void start() throws Exception {
        clickhouse = TestClickHouse.start(java.nio.file.Path.of("target"));
        http = new ClickHouseHttp(new ClickHouseConfig(clickhouse.url(), TestClickHouse.USER, Secret.of(TestClickHouse.PASSWORD), "streamed",
                Duration.ofSeconds(20), List.of(), List.of(), Duration.ofMillis(200), 20_000, false, Duration.ofSeconds(1)));
        http.execute("CREATE DATABASE IF NOT EXISTS streamed");
    }

    @AfterAll
    static void stop() throws Exception {
        if (clickhouse != null) {
            clickhouse.close();
        }
    }

    private static void table(String name) throws Exception {
        http.execute("DROP TABLE IF EXISTS streamed." + name);
        http.execute("CREATE TABLE streamed." + name + " (id UInt64, data String) ENGINE = MergeTree ORDER BY id");
    }

    private static byte[] line(long id) {
        return ("{\"id\":" + id + ",\"data\":\"" + "x".repeat((int) (id % 900)) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBodyOfManyBlocks_arrivesWhole() throws Exception {
        table("whole");
        long rows = 60_000;
        http.insertJsonEachRow("streamed.whole", out -> {
            for (long i = 0; i < rows; i++) {
                out.write(line(i));
            }
        });
        // ~27 MB: about a hundred blocks handed over one after the other
        assertThat(clickhouse.query("SELECT count(), sum(id), sum(length(data)) FROM streamed.whole").strip())
                .isEqualTo(rows + "\t" + (rows * (rows - 1) / 2) + "\t" + java.util.stream.LongStream.range(0, rows).map(i -> i % 900).sum());
    }

    @Test
    void aWriterThatFails_storesNothing_andItsFailureIsThrown() throws Exception {
        table("failed");
        // several blocks have gone out, all lines whole, before the writer fails
        assertThatThrownBy(() -> http.insertJsonEachRow("streamed.failed", out -> {
            for (long i = 0; i < 5_000; i++) {
                out.write(line(i));
            }
            throw new IOException("the writer broke at row 5000");
        })).isInstanceOf(IOException.class).hasMessage("the writer broke at row 5000");
        // and none arrive later either
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(clickhouse.query("SELECT count() FROM streamed.failed").strip()).isEqualTo("0"));
        // and the client still works
        http.insertJsonEachRow("streamed.failed", out -> out.write(line(7)));
        assertThat(clickhouse.query("SELECT count() FROM streamed.failed").strip()).isEqualTo("1");
    }

    @Test
    void anAnswerBeforeTheBodyEnds_stopsTheWriter_withClickHousesReason() throws Exception {
        // an unknown table: ClickHouse answers without reading the 500 MB the writer would make
        CompletableFuture<Void> insert = CompletableFuture.runAsync(() -> {
            try {
                http.insertJsonEachRow("streamed.nowhere", out -> {
                    for (long i = 0; i < 1_000_000; i++) {
                        out.write(line(i));
                    }
                });
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertThatThrownBy(() -> insert.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(ClickHouseException.class)
                .satisfies(e -> {
                    ClickHouseException ch = (ClickHouseException) e.getCause();
                    assertThat(ch.permanent()).as(ch.getMessage()).isTrue();
                    assertThat(ch.getMessage()).contains("nowhere");
                });
    }
}
