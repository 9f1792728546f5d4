package dev.sluice.proxy.balance;

import dev.sluice.discovery.model.Backend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;

/**
 * What the proxy knows about one backend of one service port beyond the table: how many
 * connections it carries and whether it is ejected. One instance lives as long as the backend
 * stays in the service's entry, across entry versions, so least-connections counts and
 * ejections survive unrelated table changes.
 *
 * <p>Shared by every event loop; all fields are volatiles, the counters updated atomically, and the races between
 * them (two loops failing at once) only make an ejection start a connection later or earlier.
 */
public final class BackendState {
    // Plain int fields updated through VarHandles rather than two AtomicIntegers: the same
    // lock-free updates, 32 bytes and two objects less per backend (16 MB at 500,000 endpoints).
    private static final VarHandle ACTIVE;
    private static final VarHandle CONSECUTIVE_FAILURES;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ACTIVE = lookup.findVarHandle(BackendState.class, "active", int.class);
            CONSECUTIVE_FAILURES = lookup.findVarHandle(BackendState.class, "consecutiveFailures", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Backend backend;
    /** Connections dialling or established to this backend; read by least-connections. */
    private volatile int active;
    private volatile int consecutiveFailures;
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
        return active;
    }

    /** Ends one connection counted by a pick; call exactly once per pick that was not failed. */
    public void release() {
        ACTIVE.getAndAdd(this, -1);
    }

    void acquire() {
        ACTIVE.getAndAdd(this, 1);
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
        if (consecutiveFailures != 0) {
            consecutiveFailures = 0;
        }
        if (ejectionsInARow != 0) {
            ejectionsInARow = 0;
        }
    }

    /**
     * A connect failed. Returns true when this failure ejected the backend.
     */
    boolean connectFailed(long now, Ejection ejection) {
        int failures = (int) CONSECUTIVE_FAILURES.getAndAdd(this, 1) + 1;
        if (!ejection.enabled() || failures < ejection.failures() || ejected(now)) {
            return false;
        }
        consecutiveFailures = 0;
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
