package dev.sluice.discovery.state;

import dev.sluice.discovery.model.Balance;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a stream of Service, EndpointSlice and node-zone changes into published tables, the
 * way kube-proxy's change trackers do: the recording methods only note the latest state of
 * each object (cheap, thread-safe, callable from any informer thread); one sync thread applies
 * everything noted since its last run in one step and publishes one table.
 *
 * <p>Nothing is published before {@link #start}: the caller first lets its informers deliver
 * their initial lists, then {@code start} builds the first complete table. A deleted object is
 * identified by namespace and name alone, so a delete whose final state is unknown (the
 * informer missed it and only noticed on re-list) is handled like any other. Recording an
 * object that is already known, as a re-sent ADDED does, is an update.
 *
 * <p>Reports to the {@link SyncTracker} ({@code queued} per recorded change, {@code updated}
 * after every sync) and to the {@link SyncObserver}.
 */
public final class ClusterSync implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClusterSync.class);

    private final PendingChanges pending = new PendingChanges();
    private final SyncTracker tracker;
    private final SyncState state;
    private final ExecutorService syncThread;
    /** Whether a sync is queued and not yet begun; events arriving meanwhile ride along. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean started;

    /**
     * @param nodeName       this node's name: endpoints on it are local
     * @param defaultBalance the balancing for Services without a {@code sluice.dev/balance} annotation
     */
    public ClusterSync(String nodeName, Balance defaultBalance, TablePublisher publisher, SyncTracker tracker,
            SyncObserver observer) {
        Objects.requireNonNull(nodeName, "nodeName");
        this.tracker = Objects.requireNonNull(tracker, "tracker");
        this.state = new SyncState(pending, Objects.requireNonNull(publisher, "publisher"), tracker,
                Objects.requireNonNull(observer, "observer"), nodeName,
                Objects.requireNonNull(defaultBalance, "defaultBalance"));
        this.syncThread = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-sync");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A Service was added or updated (or re-sent). */
    public void serviceUpdated(Service service) {
        pending.service(service);
        queued();
    }

    /** A Service was deleted; only its namespace and name are read. */
    public void serviceDeleted(Service service) {
        pending.serviceDeleted(service);
        queued();
    }

    /** An EndpointSlice was added or updated (or re-sent). */
    public void sliceUpdated(EndpointSlice slice) {
        pending.slice(slice);
        queued();
    }

    /** An EndpointSlice was deleted; only its namespace and name are read. */
    public void sliceDeleted(EndpointSlice slice) {
        pending.sliceDeleted(slice);
        queued();
    }

    /** This node's {@code topology.kubernetes.io/zone} label, or {@code null} when it has none. */
    public void zoneChanged(String zone) {
        pending.zone(zone);
        queued();
    }

    /**
     * Applies everything recorded so far, publishes the first table, and from then on keeps
     * publishing in the background.
     *
     * @throws TimeoutException when the first table took longer than {@code timeout}
     */
    public void start(Duration timeout) throws TimeoutException, InterruptedException {
        started = true;
        scheduled.set(true);
        Future<?> first = syncThread.submit(() -> {
            scheduled.set(false);
            state.sync();
        });
        try {
            first.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TableTooLargeException tooLarge) {
                throw tooLarge;
            }
            throw new IllegalStateException("first sync failed", e.getCause());
        }
    }

    /** Stops the sync thread; the last table stays published. */
    @Override
    public void close() {
        started = false;
        syncThread.shutdownNow();
    }

    private void queued() {
        tracker.queued();
        if (started && scheduled.compareAndSet(false, true)) {
            try {
                syncThread.execute(this::runSync);
            } catch (RejectedExecutionException e) {
                log.debug("change recorded after close, not applied");
            }
        }
    }

    private void runSync() {
        scheduled.set(false);
        try {
            state.sync();
        } catch (RuntimeException e) {
            // A bug must not stop later syncs; the tracker then reports the queued update as stale.
            log.error("sync failed", e);
        }
    }
}
