package dev.sluice.benchmarks;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.state.ClusterSync;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A running {@link ClusterSync} over {@code services} Services of 10 endpoints each, after its
 * first table, plus the EndpointSlice updates to feed it: a ring of up to {@value #RING}
 * Services spread over the table, each with two revisions that differ from each other (and
 * from the listed one) in one endpoint. Walking the ring in order, every recorded slice is a
 * real change of one entry, so every {@link #change} publishes exactly one new table.
 *
 * <p>Everything is built and the first table published in {@link #setUp}; the measured
 * {@link #change} does what an informer thread does for one EndpointSlice update and then
 * waits, on that thread, until the sync thread has published the resulting table.
 */
@State(Scope.Benchmark)
public class SyncRig {
    static final int RING = 1024;
    private static final int ENDPOINTS = 10;
    /** A change that is not published within this long is a bug, not a slow sync. */
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Param({"100", "10000", "50000"})
    int services;

    private TablePublisher publisher;
    private ClusterSync sync;
    /** updates[i][r]: ring Service i's slice at revision r + 1. */
    private EndpointSlice[][] updates;
    private int ring;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws TimeoutException, InterruptedException {
        publisher = new TablePublisher();
        sync = new ClusterSync(ClusterObjects.NODE, Balance.ROUND_ROBIN, publisher, SyncTracker.systemClock(),
                SyncObserver.NOOP);
        for (int i = 0; i < services; i++) {
            sync.serviceUpdated(ClusterObjects.service(i));
            sync.sliceUpdated(ClusterObjects.slice(i, ENDPOINTS));
        }
        sync.start(Duration.ofMinutes(2));
        ring = Math.min(RING, services);
        updates = new EndpointSlice[ring][2];
        for (int i = 0; i < ring; i++) {
            int service = (int) ((long) i * services / ring);
            for (int r = 0; r < 2; r++) {
                updates[i][r] = ClusterObjects.slice(service, ENDPOINTS, r + 1);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sync.close();
    }

    /**
     * Records the next slice update as an informer handler does, then spins until the table
     * it causes is visible through {@link TablePublisher#current()} on this thread.
     */
    BackendTable change() {
        int step = next;
        next = step + 1 == 2 * ring ? 0 : step + 1;
        BackendTable before = publisher.current();
        // Two laps of the ring, one per revision: each update differs from the state it replaces.
        sync.sliceUpdated(updates[step % ring][step / ring]);
        long deadline = System.nanoTime() + GIVE_UP_NANOS;
        BackendTable now;
        while ((now = publisher.current()) == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no table published for update " + step + " of generation "
                        + before.generation());
            }
            Thread.onSpinWait();
        }
        return now;
    }

    /** The table currently published, for tests. */
    BackendTable current() {
        return publisher.current();
    }
}
