package io.tviewd.daemon.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT (Ctrl-C) into a latch the main thread waits on, so the daemon can stop
 * gracefully and exit 0 instead of the JVM's default 143/130.
 */
final class SignalLatch {

    private final CountDownLatch latch = new CountDownLatch(1);
    private volatile String received;

    SignalLatch install() {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), s -> {
                received = "SIG" + s.getName();
                latch.countDown();
            });
        }
        return this;
    }

    /** Waits up to the timeout; true when a signal arrived. */
    boolean await(long millis) throws InterruptedException {
        return latch.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean received() {
        return latch.getCount() == 0;
    }

    String signal() {
        return received;
    }

    /** Releases waiters without a signal (e.g. a demo reaching its duration). */
    void release() {
        latch.countDown();
    }
}
