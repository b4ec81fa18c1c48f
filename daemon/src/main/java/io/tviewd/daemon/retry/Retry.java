package io.tviewd.daemon.retry;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one retry helper: capped exponential backoff with full jitter, bounded by a deadline.
 * Only failures the predicate calls retriable are retried; every retry is logged at WARN with the
 * operation's name. Clock and sleep are injectable for tests.
 */
public final class Retry {

    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

    /** Sleeps for the given milliseconds. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final Duration initial;
    private final Duration max;
    private final Duration deadline;
    private final LongSupplier clockMillis;
    private final Sleeper sleeper;

    public Retry(Duration initial, Duration max, Duration deadline, LongSupplier clockMillis, Sleeper sleeper) {
        this.initial = initial;
        this.max = max;
        this.deadline = deadline;
        this.clockMillis = clockMillis;
        this.sleeper = sleeper;
    }

    /** Production defaults: 100 ms doubling to 10 s, giving up after 5 minutes. */
    public static Retry standard() {
        return new Retry(Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofMinutes(5),
                System::currentTimeMillis, Thread::sleep);
    }

    /**
     * Runs {@code op} until it succeeds, a non-retriable failure occurs, or the deadline passes
     * (then the last failure is thrown).
     */
    public <T> T call(String operation, Callable<T> op, Predicate<Exception> retriable) throws Exception {
        long giveUpAt = clockMillis.getAsLong() + deadline.toMillis();
        long backoff = initial.toMillis();
        int attempt = 1;
        while (true) {
            try {
                return op.call();
            } catch (Exception e) {
                if (!retriable.test(e) || clockMillis.getAsLong() >= giveUpAt) {
                    throw e;
                }
                long wait = ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1);
                LOG.warn("{} failed (attempt {}), retrying in {} ms: {}", operation, attempt, wait, e.getMessage());
                sleeper.sleep(wait);
                backoff = Math.min(max.toMillis(), backoff * 2);
                attempt++;
            }
        }
    }
}
