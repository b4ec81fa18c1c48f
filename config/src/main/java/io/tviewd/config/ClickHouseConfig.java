package io.tviewd.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The ClickHouse sink: analytic rows forwarded over ClickHouse's HTTP interface.
 *
 * @param url {@code http://host:8123} or {@code https://…}; empty disables the sink
 * @param user ClickHouse user (HTTP basic authentication)
 * @param password its password (masked)
 * @param database database the target tables live in (created when absent)
 * @param timeout how long one request may take before it counts as failed
 * @param tviews tviews forwarded besides every {@code ta_} tview (a {@code tv_} tview opts in here), by name
 * @param excluded {@code ta_} tviews not forwarded, by name
 * @param flushInterval least time between two inserts into one table: rows arriving meanwhile wait in the WAL
 *                      and go in the next, larger insert
 * @param maxBatchRows most rows in one insert
 * @param autoAddColumns add a column the tview has and the target table lacks, instead of stopping the sink
 * @param retryBackoff first pause before an insert ClickHouse did not acknowledge is tried again
 */
public record ClickHouseConfig(String url, String user, Secret password, String database, Duration timeout, List<String> tviews,
                               List<String> excluded, Duration flushInterval, int maxBatchRows, boolean autoAddColumns,
                               Duration retryBackoff) {

    public ClickHouseConfig {
        tviews = List.copyOf(tviews);
        excluded = List.copyOf(excluded);
    }

    public boolean enabled() {
        return !url.isBlank();
    }

    /** The URL's scheme, host and port, for logs (it never carries credentials: the loader refuses them). */
    public URI endpoint() {
        return URI.create(url.endsWith("/") ? url : url + "/");
    }
}
