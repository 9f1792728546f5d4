package dev.sluice.discovery.state;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * Changes recorded by event handlers and not yet applied. Each object keeps only its latest
 * state, so a burst of updates to one object costs one translation. Thread-safe: handlers of
 * different informers record concurrently while the sync thread drains.
 */
final class PendingChanges {

    /** The latest state of something; {@code value == null} means deleted (or, for a zone, none). */
    record Latest<T>(T value) {
    }

    /** Services by {@code namespace/name}. */
    private final Map<ObjectRef, Latest<Service>> services = new ConcurrentHashMap<>();
    /** EndpointSlices by {@code namespace/slice-name}; the sync state knows which Service owns each. */
    private final Map<ObjectRef, Latest<EndpointSlice>> slices = new ConcurrentHashMap<>();
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
        return drain(services, apply);
    }

    /** Hands every pending EndpointSlice to {@code apply}; returns how many it reported as real changes. */
    int drainSlices(BiPredicate<ObjectRef, EndpointSlice> apply) {
        return drain(slices, apply);
    }

    /** Hands the pending zone, if it changed, to {@code apply}. */
    void drainZone(Consumer<Latest<String>> apply) {
        Latest<String> latest = zone.getAndSet(null);
        if (latest != null) {
            apply.accept(latest);
        }
    }

    private static <T> int drain(Map<ObjectRef, Latest<T>> pending, BiPredicate<ObjectRef, T> apply) {
        int changes = 0;
        for (ObjectRef ref : pending.keySet()) {
            // remove() hands over exactly the state this drain applies; a later event stays queued.
            Latest<T> latest = pending.remove(ref);
            if (latest != null && apply.test(ref, latest.value())) {
                changes++;
            }
        }
        return changes;
    }
}
