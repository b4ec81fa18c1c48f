package io.tviewd.connectors;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A stream of committed base-table changes (embedded Debezium today; Kafka change topics later).
 *
 * <p>Lifecycle: {@link #start} once; the source delivers batches to the handler on its own thread;
 * {@link #close} finishes the in-flight batch, stores the position and releases resources. The
 * position advances only past batches the handler returned from.
 */
public interface ChangeSource extends AutoCloseable {

    /**
     * Starts streaming changes of {@code tables} to {@code handler}.
     *
     * @return a future completed when streaming stops: normally after {@link #close}, exceptionally when it died
     */
    CompletableFuture<Void> start(Set<TableName> tables, ChangeHandler handler);

    /** True once the source is connected and streaming. */
    boolean isStreaming();

    @Override
    void close();
}
