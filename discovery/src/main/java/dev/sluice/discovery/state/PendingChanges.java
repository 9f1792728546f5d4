package dev.sluice.discovery.state;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * Changes recorded by event handlers and not yet applied. Each object keeps only its latest
 * state, so a burst of updates to one object costs one translation. Thread-safe: handlers of
 * different informers record concurrently while the sync thread drains.
 *
 * <p>Implementation notes: a drain visits only the objects that are pending, in the order they
 * became pending, never the maps themselves. A {@link ConcurrentHashMap} keeps the table it grew
 * to while the initial list was recorded (one bin per object of the cluster) and iterating it
 * walks every bin, so draining the maps directly made every later sync cost time in proportion
 * to the cluster: measured with {@code EndpointChangeBenchmark}, it was most of the sync
 * thread's time for one endpoint change among 50,000 Services.
 */
final class PendingChanges {

    /** The latest state of something; {@code value == null} means deleted (or, for a zone, none). */
    record Latest<T>(T value) {
    }

    /** Services by {@code namespace/name}. */
    private final Pending<Service> services = new Pending<>();
    /** EndpointSlices by {@code namespace/slice-name}; the sync state knows which Service owns each. */
    private final Pending<EndpointSlice> slices = new Pending<>();
    /** This node's zone label, or {@code null} when it did not change since the last drain. */
    private final AtomicReference<Latest<String>> zone = new AtomicReference<>();

    void service(Service service) {
        services.put(ObjectRef.of(service), new Latest<>(service));
    }

    void serviceDeleted(Service service) {
        services.put(ObjectRef.of(service), new Latest<>(null));
    }

    void slice(EndpointSlice slice) {
        slices.put(ObjectRef.of(slice), new Latest<>(slice));
    }

    void sliceDeleted(EndpointSlice slice) {
        slices.put(ObjectRef.of(slice), new Latest<>(null));
    }

    void zone(String value) {
        zone.set(new Latest<>(value));
    }

    /** Hands every pending Service to {@code apply}; returns how many it reported as real changes. */
    int drainServices(BiPredicate<ObjectRef, Service> apply) {
        return services.drain(apply);
    }

    /** Hands every pending EndpointSlice to {@code apply}; returns how many it reported as real changes. */
    int drainSlices(BiPredicate<ObjectRef, EndpointSlice> apply) {
        return slices.drain(apply);
    }

    /** Hands the pending zone, if it changed, to {@code apply}. */
    void drainZone(Consumer<Latest<String>> apply) {
        Latest<String> latest = zone.getAndSet(null);
        if (latest != null) {
            apply.accept(latest);
        }
    }

    /** The latest state of each pending object of one kind, and which objects are pending. */
    private static final class Pending<T> {
        private final Map<ObjectRef, Latest<T>> latest = new ConcurrentHashMap<>();
        /**
         * Each object of {@code latest} once: a recorder that adds an object to {@code latest}
         * queues it; one that only replaces its state does not need to.
         */
        private final Queue<ObjectRef> queued = new ConcurrentLinkedQueue<>();

        void put(ObjectRef ref, Latest<T> state) {
            if (latest.put(ref, state) == null) {
                queued.add(ref);
            }
        }

        int drain(BiPredicate<ObjectRef, T> apply) {
            int changes = 0;
            for (ObjectRef ref = queued.poll(); ref != null; ref = queued.poll()) {
                // remove() hands over exactly the state this drain applies; a later event queues the object again.
                Latest<T> state = latest.remove(ref);
                if (state != null && apply.test(ref, state.value())) {
                    changes++;
                }
            }
            return changes;
        }
    }
}
