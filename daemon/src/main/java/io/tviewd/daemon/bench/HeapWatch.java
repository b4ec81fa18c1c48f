package io.tviewd.daemon.bench;

/** Samples the daemon's heap (its {@code /metrics}) every second and keeps the maximum. */
final class HeapWatch implements AutoCloseable {
    private final Thread thread;
    private volatile boolean running = true;
    private volatile double max;

    HeapWatch(DaemonUnderTest daemon) {
        thread = new Thread(() -> {
            while (running) {
                double mb = daemon.heapMb();
                if (!Double.isNaN(mb)) {
                    max = Math.max(max, mb);
                }
                try {
                    // a scrape costs the daemon ~15 ms of CPU: every 250 ms took 6% of its CPU in a profile
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-heap");
        thread.setDaemon(true);
        thread.start();
    }

    double maxMb() {
        return max;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
    }
}
