package io.tviewd.daemon.support;

import static org.awaitility.Awaitility.await;

import java.time.Duration;

import io.tviewd.config.TviewdConfig;
import io.tviewd.daemon.Daemon;

/** In-process daemons for tests. */
public final class Daemons {

    private Daemons() {
    }

    /** Starts a daemon and waits until CDC streams; the caller closes it. */
    public static Daemon started(TviewdConfig config) throws Exception {
        Daemon daemon = new Daemon(config);
        try {
            daemon.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.source().isStreaming()
                    && daemon.eventsStreaming());
            return daemon;
        } catch (Exception | AssertionError e) {
            daemon.close();
            throw e;
        }
    }
}
