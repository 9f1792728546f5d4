package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ServicePortKey;
import java.util.Collection;
import java.util.Collections;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The slot of every service port in the table, for the listener set that creates and closes
 * them and for {@code /metrics}, which reads their counts at scrape time. Totals over all
 * service ports stay monotonic when a port goes: its counts move into a retired sum in the same
 * step that removes it, so a scrape sees them in exactly one of the two places. (Bytes that
 * connections still open through a removed port relay after that step are not in the totals.)
 *
 * <p>Threading: {@link #put} and {@link #remove} are called by one writer (the listener set,
 * under its own lock); lookups and {@link #all()} take no lock; {@link #remove} and
 * {@link #totals} share this object's monitor, held for one removal or one sum.
 */
public final class ServiceSlots {
    private final ConcurrentHashMap<ServicePortKey, ServiceSlot> slots = new ConcurrentHashMap<>();
    /** Counts of removed service ports; guarded by this. */
    private final long[] retired = new long[ServiceCounters.SIZE];

    /** The slot of {@code key}, or {@code null}. */
    public ServiceSlot get(ServicePortKey key) {
        return slots.get(key);
    }

    /** Adds a new service port's slot. */
    public void put(ServiceSlot slot) {
        slots.put(slot.key(), slot);
    }

    /** Removes the slot of {@code key} and keeps its counts in the totals; returns it, or {@code null}. */
    public synchronized ServiceSlot remove(ServicePortKey key) {
        ServiceSlot slot = slots.remove(key);
        if (slot != null) {
            slot.counters().addTo(retired);
        }
        return slot;
    }

    /** The slots, in no order; a live view that takes no lock. */
    public Collection<ServiceSlot> all() {
        return Collections.unmodifiableCollection(slots.values());
    }

    /** How many service ports there are. */
    public int size() {
        return slots.size();
    }

    /** Every count summed over all service ports, present and removed, indexed as {@link ServiceCounters}. */
    public synchronized long[] totals() {
        long[] totals = retired.clone();
        for (ServiceSlot slot : slots.values()) {
            slot.counters().addTo(totals);
        }
        return totals;
    }
}
