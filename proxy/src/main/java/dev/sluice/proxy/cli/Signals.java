package dev.sluice.proxy.cli;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT: the first drains (stop accepting, let connections finish for the grace
 * period), the second closes at once. A JVM shutdown hook would run only once, so the signals
 * are handled directly.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    static void onTerminate(ProxyProcess process, Duration grace) {
        AtomicInteger received = new AtomicInteger();
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (received.incrementAndGet() == 1) {
                    log.info("SIG{}: draining for up to {}", signal.getName(), DurationConverter.format(grace));
                    Thread drain = new Thread(() -> {
                        try {
                            process.shutdown(grace);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            process.close();
                        }
                    }, "sluice-shutdown");
                    drain.start();
                } else {
                    log.info("SIG{} again: closing now", signal.getName());
                    process.close();
                }
            });
        }
    }
}
