package dev.sluice.discovery.state;

import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Refuses a table whose new service ports the heap cannot hold, before they are published: the
 * listener set would give each a slot, a listening channel and its pipeline, and an
 * OutOfMemoryError part-way through would end the process (the launcher's
 * {@code -XX:+ExitOnOutOfMemoryError}). Instead {@link TableTooLargeException} names the sizes
 * in one line and the last table keeps serving.
 *
 * <p>Implementation notes: the estimate is {@value #BYTES_PER_SERVICE_PORT} bytes per new service
 * port and {@value #BYTES_PER_ENDPOINT} per endpoint of those ports, measured as the heap after a
 * collection of 10,000 standalone services with 3 backends each (50 MiB in all, a third of it
 * the process without a table). The heap free is its maximum less what the last collection left
 * in use. A table whose estimate is under
 * {@value #CHECKED_FROM} bytes is never checked: only large changes can run out of heap, and a
 * check then costs a pass over the changed keys and one read of the memory pools.
 */
public final class HeapHeadroom {
    static final long BYTES_PER_SERVICE_PORT = 3_500;
    static final long BYTES_PER_ENDPOINT = 200;
    static final long CHECKED_FROM = 16L << 20;

    private final long max;
    private final LongSupplier usedAfterCollection;
    private final long checkedFrom;

    /**
     * @param max                 the most heap there is, in bytes
     * @param usedAfterCollection the heap in use after the last collection, in bytes
     * @param checkedFrom         estimates below this many bytes pass unchecked
     */
    HeapHeadroom(long max, LongSupplier usedAfterCollection, long checkedFrom) {
        this.max = max;
        this.usedAfterCollection = usedAfterCollection;
        this.checkedFrom = checkedFrom;
    }

    /** The running JVM's heap. */
    public static HeapHeadroom jvm() {
        return new HeapHeadroom(Runtime.getRuntime().maxMemory(), HeapHeadroom::usedAfterLastCollection, CHECKED_FROM);
    }

    private static long usedAfterLastCollection() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP) {
                continue;
            }
            MemoryUsage afterCollection = pool.isCollectionUsageThresholdSupported() ? pool.getCollectionUsage() : null;
            // Before the first collection of a pool, what it holds now is the best we know.
            used += afterCollection != null && afterCollection.getMax() != 0 && afterCollection.getUsed() > 0
                    ? afterCollection.getUsed() : pool.getUsage().getUsed();
        }
        return used;
    }

    /**
     * Checks that the service ports {@code change} adds fit in the heap.
     *
     * @throws TableTooLargeException naming the sizes, when they would not
     */
    void check(TableChange change) {
        long ports = 0;
        long endpoints = 0;
        for (ServicePortKey key : change.changed()) {
            ServiceEntry entry = change.current().get(key);
            if (entry != null && change.previous().get(key) == null) {
                ports++;
                endpoints += entry.totalEndpoints();
            }
        }
        long needed = ports * BYTES_PER_SERVICE_PORT + endpoints * BYTES_PER_ENDPOINT;
        if (needed < checkedFrom) {
            return;
        }
        long free = max - usedAfterCollection.getAsLong();
        if (needed > free) {
            long previous = change.previous().generation();
            throw new TableTooLargeException(String.format(Locale.ROOT,
                    "table too large for the heap: generation %d adds %d service ports with %d endpoints, "
                            + "about %d MiB, and %d MiB of the %d MiB heap is free (expected: a larger memory limit, "
                            + "which bin/sluice sizes the heap from); %s",
                    change.current().generation(), ports, endpoints, needed >> 20, Math.max(0, free) >> 20, max >> 20,
                    previous == 0 && change.previous().size() == 0 ? "nothing is served yet"
                            : "still serving generation " + previous));
        }
    }
}
