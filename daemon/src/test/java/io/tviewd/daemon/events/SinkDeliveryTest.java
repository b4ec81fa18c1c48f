package io.tviewd.daemon.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tviewd.connectors.events.Cascade;
import io.tviewd.connectors.events.EventSink;
import io.tviewd.connectors.events.RefreshEvent;
import io.tviewd.daemon.metrics.DaemonMetrics;

class SinkDeliveryTest {

    /** A sink that refuses the first {@code failures} deliveries, then records what it gets. */
    private static final class FlakySink implements EventSink {
        private final int failures;
        private final AtomicInteger attempts = new AtomicInteger();
        private final List<RefreshEvent> received = new ArrayList<>();

        FlakySink(int failures) {
            this.failures = failures;
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public List<Refused> deliver(List<RefreshEvent> events, List<Cascade> cascades) {
            if (attempts.incrementAndGet() <= failures) {
                throw new IllegalStateException("broker unavailable (attempt " + attempts.get() + ")");
            }
            received.addAll(events);
            return List.of();
        }

        @Override
        public void close() {
        }
    }

    private static List<RefreshEvent> events() {
        return List.of(new RefreshEvent("public.tv_post", "Post", new TextNode("k"), "upsert", false, null, 5, 1, 1,
                List.of(), List.of(), false, Instant.now().minusSeconds(3), "", "cdc"));
    }

    @Test
    void failingSink_isRetriedUntilItAcknowledges_andCountedAsDegradedMeanwhile() throws Exception {
        DaemonMetrics metrics = new DaemonMetrics();
        FlakySink sink = new FlakySink(2);
        try (SinkDelivery d = new SinkDelivery(sink, false, Duration.ofMillis(10), metrics)) {
            d.handle(events());
            assertThat(sink.received).hasSize(1);
            assertThat(sink.attempts).hasValue(3);
            assertThat(d.problem()).isNull();
            assertThat(d.lagSeconds()).isZero();
            assertThat(metrics.scrape()).contains("tviewd_events_delivery_errors_total{sink=\"flaky\"} 2.0")
                    .contains("tviewd_events_delivery_retries_total{sink=\"flaky\"} 2.0")
                    .contains("tviewd_events_delivered_total{sink=\"flaky\"} 1.0")
                    .contains("tviewd_events_sink_up{sink=\"flaky\"} 1.0");
        }
    }

    @Test
    void stopRetrying_whileTheSinkIsDown_abandonsTheBatchWithoutAcknowledgingIt() {
        DaemonMetrics metrics = new DaemonMetrics();
        FlakySink sink = new FlakySink(Integer.MAX_VALUE);
        SinkDelivery d = new SinkDelivery(sink, false, Duration.ofMillis(10), metrics);
        CompletableFuture<Void> handling = CompletableFuture.runAsync(() -> {
            try {
                d.handle(events());
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> d.problem() != null && sink.attempts.get() >= 2);
        assertThat(d.problem()).startsWith("broker unavailable");
        assertThat(d.lagSeconds()).isGreaterThanOrEqualTo(3.0);
        assertThat(metrics.scrape()).contains("tviewd_events_sink_up{sink=\"flaky\"} 0.0");
        d.close();
        assertThatThrownBy(handling::join).hasRootCauseInstanceOf(InterruptedException.class);
        assertThat(sink.received).isEmpty();
    }
}
