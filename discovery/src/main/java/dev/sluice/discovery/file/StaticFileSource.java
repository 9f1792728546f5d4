package dev.sluice.discovery.file;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.discovery.state.TableTooLargeException;
import dev.sluice.discovery.state.TableSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone mode's table source: a YAML file (see {@link StaticConfig}) that is published at
 * {@link #start()} and again whenever it changes, whether rewritten in place, replaced by a
 * rename, or swapped through a symlink the way a Kubernetes ConfigMap volume does.
 *
 * <p>A file that fails validation at start makes {@link #start()} throw a {@link ConfigException}
 * (an {@link IllegalArgumentException}). Later, a bad file is logged once, counted through
 * {@link SyncObserver#rejected} with kind {@code config}, and the last good table keeps serving.
 * A change that leaves every service as it was publishes nothing. {@code settings} are read at
 * start only; a change to them is reported, not applied.
 *
 * <p>Threads: {@link #start()} runs on the caller's thread; reloads run on one daemon thread,
 * {@code sluice-config-watch}, which is the only publisher afterwards.
 */
public final class StaticFileSource implements TableSource {
    private static final Logger log = LoggerFactory.getLogger(StaticFileSource.class);
    /** How often the file is compared with what was last read, whatever the watch service says. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** A file must read the same twice this far apart to count as completely written. */
    private static final Duration SETTLE = Duration.ofMillis(50);
    /** Give up waiting for a file that never stops changing; the next round tries again. */
    private static final int MAX_SETTLE_ROUNDS = 20;

    private final Path file;
    private final TablePublisher publisher;
    private final SyncTracker tracker;
    private final SyncObserver observer;
    private final Duration pollInterval;

    /* Written by start(), then confined to the watch thread (Thread.start orders the two). */
    private byte[] lastContent;
    private String lastReadError;
    private Map<String, String> startSettings;
    private Map<String, String> lastSettings;

    /* Written by start() and close() on the caller's thread. */
    private FileWatch watch;
    private Thread thread;

    /** A source that polls every {@link #DEFAULT_POLL_INTERVAL} besides watching the directory. */
    public StaticFileSource(Path file, TablePublisher publisher, SyncTracker tracker, SyncObserver observer) {
        this(file, publisher, tracker, observer, DEFAULT_POLL_INTERVAL);
    }

    /** A source that polls every {@code pollInterval} besides watching the directory. */
    public StaticFileSource(Path file, TablePublisher publisher, SyncTracker tracker, SyncObserver observer,
            Duration pollInterval) {
        this.file = Objects.requireNonNull(file, "file");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.observer = Objects.requireNonNull(observer, "observer");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval: " + pollInterval + " (expected: more than zero)");
        }
        this.pollInterval = pollInterval;
    }

    /**
     * Loads and publishes the file, then watches it.
     *
     * @throws ConfigException naming file, line and field when the file is unreadable or invalid
     */
    @Override
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("start: called twice (expected: once)");
        }
        long began = System.nanoTime();
        StaticConfig config;
        try {
            lastContent = StaticConfig.read(file);
            config = StaticConfig.parse(file.toString(), lastContent);
        } catch (ConfigException e) {
            observer.rejected("config", e.reason());
            throw e;
        }
        startSettings = config.settings();
        lastSettings = config.settings();
        BackendTable current = publisher.current();
        // Published even when empty, so the first table always has a generation of its own.
        TableChange change = publisher.publish(BackendTable.of(current.generation() + 1, config.services()));
        tracker.updated();
        observer.synced(Duration.ofNanos(System.nanoTime() - began), change.changed().size(), 0);
        log.info("{}: serving services: {} (generation {}); watching for changes", file, config.services().size(),
                change.current().generation());
        warnEmpty(change);
        watch = new FileWatch(file, pollInterval);
        thread = new Thread(this::watchLoop, "sluice-config-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops watching and waits briefly for a reload in progress; the last table stays published. */
    @Override
    public synchronized void close() {
        if (thread == null) {
            return;
        }
        watch.close();
        try {
            thread.join(Duration.ofSeconds(2).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void watchLoop() {
        try {
            while (watch.await()) {
                try {
                    check();
                } catch (TableTooLargeException e) {
                    log.error("{}: {}", file, e.getMessage());
                } catch (RuntimeException e) {
                    log.error("{}: reload failed; still serving generation {}", file, publisher.current().generation(), e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads the file and applies it if it differs from what was read last time. */
    private void check() throws InterruptedException {
        byte[] content;
        try {
            content = readSettled();
        } catch (ConfigException e) {
            if (!e.getMessage().equals(lastReadError)) {
                lastReadError = e.getMessage();
                tracker.queued();
                reject(e);
            }
            return;
        }
        if (content == null) {
            return;
        }
        boolean recovered = lastReadError != null;
        lastReadError = null;
        if (Arrays.equals(content, lastContent)) {
            if (recovered) {
                log.info("{}: readable again and unchanged; still serving generation {}", file,
                        publisher.current().generation());
            }
            return;
        }
        lastContent = content;
        tracker.queued();
        long began = System.nanoTime();
        StaticConfig config;
        try {
            config = StaticConfig.parse(file.toString(), content);
        } catch (ConfigException e) {
            reject(e);
            return;
        }
        apply(config, began);
    }

    /**
     * The file's content once two reads {@link #SETTLE} apart agree, so a file caught while
     * being written in place is not taken for the whole. Null when closed meanwhile.
     */
    private byte[] readSettled() throws InterruptedException {
        byte[] content = StaticConfig.read(file);
        if (Arrays.equals(content, lastContent)) {
            return content;
        }
        for (int round = 0; round < MAX_SETTLE_ROUNDS; round++) {
            if (!watch.pause(SETTLE)) {
                return null;
            }
            byte[] again = StaticConfig.read(file);
            if (Arrays.equals(content, again)) {
                return content;
            }
            content = again;
        }
        return content;
    }

    private void apply(StaticConfig config, long began) {
        if (!config.settings().equals(lastSettings)) {
            lastSettings = config.settings();
            log.warn("{}: settings {}; they take effect at the next start", file,
                    config.settings().equals(startSettings) ? "are back to those in use" : "changed");
        }
        BackendTable current = publisher.current();
        TableChange change = TableChange.between(current, BackendTable.of(current.generation() + 1, config.services()));
        if (change.changed().isEmpty()) {
            tracker.updated();
            log.info("{}: reloaded; no service changed (generation {})", file, current.generation());
            return;
        }
        publisher.publish(change);
        tracker.updated();
        observer.synced(Duration.ofNanos(System.nanoTime() - began), change.changed().size(), 0);
        log.info("{}: reloaded, generation {}: {}", file, change.current().generation(), ChangeSummary.of(change));
        warnEmpty(change);
    }

    /**
     * The file is kept as it was: the table keeps serving and the tracker counts the update as
     * handled, so a typo never makes the proxy report itself unhealthy.
     */
    private void reject(ConfigException e) {
        observer.rejected("config", e.reason());
        tracker.updated();
        log.error("{}; still serving generation {}", e.getMessage(), publisher.current().generation());
    }

    private static void warnEmpty(TableChange change) {
        for (var key : change.changed()) {
            ServiceEntry entry = change.current().get(key);
            if (entry != null && entry.internalEndpoints().isEmpty()) {
                log.warn("[{}] has no backends: connections to it are reset", key.serviceName());
            }
        }
    }
}
