package dev.sluice.proxy.reliability;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * This JVM's memory as a leak would show it: heap in use just after a full collection, and
 * direct memory (the JDK's direct buffers plus what Netty allocates outside the JDK's count).
 */
record Memory(long heapAfterGc, long direct) {

    static Memory measure() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = Math.max(0, PlatformDependent.usedDirectMemory());
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct += pool.getMemoryUsed();
            }
        }
        return new Memory(heap, direct);
    }
}
