package dev.sluice.proxy.forward;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts admitted TCP connections against a limit; 0 means no limit. Lock-free: an admission
 * is one atomic increment, undone when it would exceed the limit.
 */
public final class ConnectionGate {
    private final int limit;
    private final AtomicInteger active = new AtomicInteger();

    /** A gate admitting at most {@code limit} connections at once (0 = no limit). */
    public ConnectionGate(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("max connections: " + limit + " (expected: 0 for no limit, or more)");
        }
        this.limit = limit;
    }

    /** Admits one more connection unless the limit is reached; a true result must be released. */
    public boolean tryAcquire() {
        return tryAcquire(active, limit);
    }

    /** Ends an admitted connection. */
    public void release() {
        active.decrementAndGet();
    }

    /** Connections admitted and not yet released. */
    public int active() {
        return active.get();
    }

    static boolean tryAcquire(AtomicInteger counter, int limit) {
        int now = counter.incrementAndGet();
        if (limit > 0 && now > limit) {
            counter.decrementAndGet();
            return false;
        }
        return true;
    }
}
