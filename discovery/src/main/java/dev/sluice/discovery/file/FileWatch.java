package dev.sluice.discovery.file;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the reloader when the directory holding a file changes, and at least every poll
 * interval. The directory, not the file, is watched: a rename-replace or a ConfigMap's
 * {@code ..data} symlink swap changes directory entries, never the file watched. The interval is
 * the safety net for what a WatchService misses (symlink targets in other directories, network
 * and FUSE file systems, a watched directory that was itself replaced).
 */
final class FileWatch implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FileWatch.class);
    /** A burst of events (a write in pieces, a rename dance) is one change once quiet this long. */
    private static final Duration QUIET = Duration.ofMillis(50);
    /** An endless stream of events must not starve the check. */
    private static final Duration MAX_COALESCE = Duration.ofSeconds(1);

    private final Duration pollInterval;
    /** Null when the file system offers no watch service: then only polling finds changes. */
    private final WatchService service;
    private final CountDownLatch closed = new CountDownLatch(1);

    FileWatch(Path file, Duration pollInterval) {
        this.pollInterval = pollInterval;
        this.service = register(file.toAbsolutePath().getParent());
    }

    private static WatchService register(Path directory) {
        WatchService service = null;
        try {
            service = FileSystems.getDefault().newWatchService();
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            return service;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("{}: cannot watch the directory ({}); polling only", directory, e.toString());
            closeQuietly(service);
            return null;
        }
    }

    /**
     * Blocks until the directory reported a change (and then went quiet) or the poll interval
     * passed.
     *
     * @return false once closed
     */
    boolean await() throws InterruptedException {
        if (service == null) {
            return !closed.await(pollInterval.toNanos(), TimeUnit.NANOSECONDS);
        }
        try {
            WatchKey key = service.poll(pollInterval.toNanos(), TimeUnit.NANOSECONDS);
            long deadline = System.nanoTime() + MAX_COALESCE.toNanos();
            while (key != null) {
                key.pollEvents();
                key.reset();
                key = System.nanoTime() < deadline ? service.poll(QUIET.toNanos(), TimeUnit.NANOSECONDS) : null;
            }
            return closed.getCount() > 0;
        } catch (ClosedWatchServiceException e) {
            return false;
        }
    }

    /**
     * Waits {@code duration} unless closed first.
     *
     * @return false once closed
     */
    boolean pause(Duration duration) throws InterruptedException {
        return !closed.await(duration.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        closed.countDown();
        closeQuietly(service);
    }

    private static void closeQuietly(WatchService service) {
        if (service == null) {
            return;
        }
        try {
            service.close();
        } catch (IOException e) {
            log.debug("closing the watch service failed", e);
        }
    }
}
