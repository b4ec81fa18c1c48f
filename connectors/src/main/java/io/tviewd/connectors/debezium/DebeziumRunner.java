package io.tviewd.connectors.debezium;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;

/**
 * Runs one Debezium engine (async, Connect format) on its own thread and commits offsets only as far
 * as the batch processor says is safe. Shared by the change source and the event source.
 */
final class DebeziumRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DebeziumRunner.class);

    /** Handles one batch; returns the index of the last record whose offset may be stored (-1: none). */
    @FunctionalInterface
    interface BatchProcessor {
        int process(List<SourceRecord> records) throws InterruptedException;
    }

    private final String name;
    private final ExecutorService executor;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Released once the engine's task started or the engine ended; {@link #close} waits for it. */
    private final CountDownLatch settled = new CountDownLatch(1);
    private volatile boolean streaming;
    /** True while a batch is handed to the processor: closing waits for it instead of interrupting. */
    private volatile boolean processing;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;

    /** @param name what this engine streams, for thread names and logs ({@code cdc}, {@code events-kafka}) */
    DebeziumRunner(String name) {
        this.name = name;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tviewd-" + name);
            t.setDaemon(false);
            return t;
        });
    }

    CompletableFuture<Void> start(Properties props, BatchProcessor processor, Runnable onStreaming) {
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(props)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void pollingStarted() {
                        streaming = true;
                        settled.countDown();
                        onStreaming.run();
                    }

                    @Override
                    public void pollingStopped() {
                        streaming = false;
                    }
                })
                .using((success, message, error) -> {
                    streaming = false;
                    settled.countDown();
                    if (success) {
                        done.complete(null);
                    } else {
                        done.completeExceptionally(error != null ? error
                                : new IllegalStateException(name + " engine stopped: " + message));
                    }
                })
                .notifying((records, committer) -> {
                    List<SourceRecord> raw = records.stream().map(RecordChangeEvent::record).toList();
                    processing = true;
                    int safe;
                    try {
                        safe = processor.process(raw);
                    } finally {
                        processing = false;
                    }
                    for (int i = 0; i <= safe; i++) {
                        committer.markProcessed(records.get(i));
                    }
                    committer.markBatchFinished();
                })
                .build();
        executor.execute(engine);
        return done;
    }

    boolean isStreaming() {
        return streaming && !done.isDone();
    }

    /**
     * Stops the engine: the in-flight batch finishes and commits, offsets are flushed, the
     * replication connection closes (releasing the slot).
     */
    @Override
    public void close() {
        DebeziumEngine<?> e = engine;
        if (e != null) {
            try {
                // closing an engine that is still starting fails its start-up; let it finish first
                if (!settled.await(30, TimeUnit.SECONDS)) {
                    LOG.warn("{} engine did not finish starting within 30 s; closing it anyway", name);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            try {
                e.close();
            } catch (java.io.IOException ex) {
                LOG.warn("Closing the {} engine failed: {}", name, ex.getMessage(), ex);
            } catch (IllegalStateException ex) {
                // it is already shutting down by itself (its task failed or stopped): wait for it below
                LOG.debug("{} engine already shutting down: {}", name, ex.getMessage());
            }
        }
        executor.shutdown();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long idleSince = System.nanoTime();
            while (!executor.awaitTermination(200, TimeUnit.MILLISECONDS)) {
                if (processing) {
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince > TimeUnit.SECONDS.toNanos(5)) {
                    // Debezium's close returned and no batch is in flight, but the engine's thread
                    // still waits: Debezium's async engine closed right after it began streaming can wait forever for a
                    // polling task that never ran. Interrupting it loses nothing (nothing unacknowledged is in hand).
                    LOG.info("{} engine thread still waiting 5 s after the engine closed, with no batch in flight: interrupting it", name);
                    executor.shutdownNow();
                    executor.awaitTermination(5, TimeUnit.SECONDS);
                    break;
                }
                if (System.nanoTime() > deadline) {
                    LOG.warn("{} engine did not stop within 30 s", name);
                    break;
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        streaming = false;
    }
}
