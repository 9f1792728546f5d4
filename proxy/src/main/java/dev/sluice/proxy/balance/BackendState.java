package dev.sluice.proxy.balance;

import dev.sluice.discovery.model.Backend;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the proxy knows about one backend of one service port beyond the table: how many
 * connections it carries and whether it is ejected. One instance lives as long as the backend
 * stays in the service's entry, across entry versions, so least-connections counts and
 * ejections survive unrelated table changes.
 *
 * <p>Shared by every event loop; all fields are atomics or volatiles, and the races between
 * them (two loops failing at once) only make an ejection start a connection later or earlier.
 */
public final class BackendState {
    private final Backend backend;
    /** Connections dialling or established to this backend; read by least-connections. */
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile int ejectionsInARow;
    private volatile boolean ejected;
    /** {@link System#nanoTime()} at which the current ejection ends. */
    private volatile long ejectedUntil;
    /** Set once the backend left the service's entry; connections to it may still run. */
    private volatile boolean retired;

    BackendState(Backend backend) {
        this.backend = backend;
    }

    /** The backend. */
    public Backend backend() {
        return backend;
    }

    /** Its socket address, resolved when the table was built. */
    public InetSocketAddress address() {
        return backend.address();
    }

    /** Connections currently dialling or established. */
    public int active() {
        return active.get();
    }

    /** Ends one connection counted by a pick; call exactly once per pick that was not failed. */
    public void release() {
        active.decrementAndGet();
    }

    void acquire() {
        active.incrementAndGet();
    }

    /** Whether picks skip this backend at {@code now} ({@link System#nanoTime()}). */
    public boolean ejected(long now) {
        return ejected && now - ejectedUntil < 0;
    }

    /** Whether the backend left its service's entry. */
    public boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }

    /** A connect succeeded: the backend is healthy again. */
    void connectSucceeded() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        if (ejectionsInARow != 0) {
            ejectionsInARow = 0;
        }
    }

    /**
     * A connect failed. Returns true when this failure ejected the backend.
     */
    boolean connectFailed(long now, Ejection ejection) {
        int failures = consecutiveFailures.incrementAndGet();
        if (!ejection.enabled() || failures < ejection.failures() || ejected(now)) {
            return false;
        }
        consecutiveFailures.set(0);
        int times = Math.min(ejectionsInARow + 1, Ejection.MAX_MULTIPLIER);
        ejectionsInARow = times;
        ejectedUntil = now + ejection.baseTime().toNanos() * times;
        ejected = true;
        return true;
    }

    @Override
    public String toString() {
        return backend.toString();
    }
}
