package dev.sluice.discovery.state;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Records when updates were queued and applied, the way kube-proxy's health server does: the
 * proxy is healthy while no queued update has waited longer than the health timeout. Also holds
 * whether this node is eligible to receive traffic (it exists and is not being deleted).
 * Thread-safe and lock-free.
 */
public final class SyncTracker {
    private final Clock clock;
    /** The oldest update not yet applied, or null when everything queued was applied. */
    private final AtomicReference<Instant> oldestQueued = new AtomicReference<>();
    private volatile Instant lastUpdated;
    private volatile boolean synced;
    private volatile boolean nodeEligible = true;

    public SyncTracker(Clock clock) {
        this.clock = clock;
    }

    /** A tracker on the system clock. */
    public static SyncTracker systemClock() {
        return new SyncTracker(Clock.systemUTC());
    }

    /** An update was received and waits to be applied. */
    public void queued() {
        oldestQueued.compareAndSet(null, clock.instant());
    }

    /** Every update queued so far was applied (or rejected) and the result published. */
    public void updated() {
        lastUpdated = clock.instant();
        synced = true;
        oldestQueued.set(null);
    }

    /** Records whether this node exists and is not being deleted. */
    public void nodeEligible(boolean eligible) {
        nodeEligible = eligible;
    }

    /** When the last table was applied, or {@code null} before the first. */
    public Instant lastUpdated() {
        return lastUpdated;
    }

    /** Whether the first full table was published. */
    public boolean synced() {
        return synced;
    }

    /** Whether this node may receive traffic (always true in standalone mode). */
    public boolean nodeEligible() {
        return nodeEligible;
    }

    /** The current time on this tracker's clock. */
    public Instant now() {
        return clock.instant();
    }

    /**
     * Healthy: the first table was published and no queued update has waited longer than
     * {@code timeout}.
     */
    public boolean healthy(Duration timeout) {
        if (!synced) {
            return false;
        }
        Instant queued = oldestQueued.get();
        return queued == null || Duration.between(queued, clock.instant()).compareTo(timeout) <= 0;
    }
}
