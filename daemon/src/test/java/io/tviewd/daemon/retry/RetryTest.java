package io.tviewd.daemon.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RetryTest {

    private final AtomicLong now = new AtomicLong();
    private final List<Long> sleeps = new ArrayList<>();
    private final Retry retry = new Retry(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofSeconds(2),
            now::get, ms -> {
                sleeps.add(ms);
                now.addAndGet(ms);
            });

    @Test
    void call_retriableFailures_backOffExponentiallyWithJitterUpToTheCap() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        String result = retry.call("op", () -> {
            if (attempts.incrementAndGet() < 5) {
                throw new IOException("reset");
            }
            return "done";
        }, e -> e instanceof IOException);
        assertThat(result).isEqualTo("done");
        assertThat(attempts).hasValue(5);
        assertThat(sleeps).hasSize(4);
        long[] caps = {100, 200, 400, 400};
        for (int i = 0; i < 4; i++) {
            assertThat(sleeps.get(i)).isBetween(caps[i] / 2, caps[i]);
        }
    }

    @Test
    void call_fatalFailure_isThrownAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> retry.call("op", () -> {
            attempts.incrementAndGet();
            throw new IllegalArgumentException("schema");
        }, e -> e instanceof IOException)).hasMessage("schema");
        assertThat(attempts).hasValue(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void call_deadlinePassed_throwsTheLastFailure() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> retry.call("op", () -> {
            throw new IOException("down " + attempts.incrementAndGet());
        }, e -> e instanceof IOException)).isInstanceOf(IOException.class).hasMessageStartingWith("down ");
        assertThat(now.get()).isGreaterThanOrEqualTo(2000);
        assertThat(sleeps.stream().mapToLong(Long::longValue).sum()).isLessThan(2000 + 400);
    }
}
