package dev.sluice.proxy.balance;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client-IP affinity of one endpoint set: which backend each client IP was last connected to,
 * until {@code timeout} after its last connection. Lock-free reads and refreshes; expired and
 * stale pins are removed lazily on lookup and by {@link #sweep}. Holds at most
 * {@value #CAPACITY} clients: beyond that, new clients are balanced without being pinned.
 */
final class AffinityTable {
    static final int CAPACITY = 65_536;

    private final ConcurrentHashMap<InetAddress, Pin> pins = new ConcurrentHashMap<>();
    private volatile long timeoutNanos;

    AffinityTable(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    void timeoutNanos(long nanos) {
        timeoutNanos = nanos;
    }

    /** The live pin of a client, refreshed, or {@code null}. */
    Pin lookup(InetAddress client, long now) {
        Pin pin = pins.get(client);
        if (pin == null) {
            return null;
        }
        if (now - pin.expiresAt >= 0 || pin.state.retired()) {
            pins.remove(client, pin);
            return null;
        }
        pin.expiresAt = now + timeoutNanos;
        return pin;
    }

    /** Pins a client to the backend at {@code index} of the current pool. */
    void pin(InetAddress client, BackendState state, int index, long now) {
        Pin pin = pins.get(client);
        if (pin != null && pin.state == state) {
            pin.index = index;
            pin.expiresAt = now + timeoutNanos;
            return;
        }
        if (pin == null && pins.size() >= CAPACITY) {
            sweep(now);
            if (pins.size() >= CAPACITY) {
                return;
            }
        }
        pins.put(client, new Pin(state, index, now + timeoutNanos));
    }

    /** Forgets a client whose pin turned out not to belong to the current pool. */
    void forget(InetAddress client, Pin pin) {
        pins.remove(client, pin);
    }

    /** Drops expired pins. */
    void sweep(long now) {
        pins.values().removeIf(pin -> now - pin.expiresAt >= 0);
    }

    /** Drops pins whose backend is not in the pool any more. */
    void retainAll(Pool pool) {
        pins.values().removeIf(pin -> pool.indexOf(pin.state) < 0);
    }

    int size() {
        return pins.size();
    }

    /** Every live pin as it stands, for a successor. */
    Map<InetAddress, Pin> live(long now) {
        Map<InetAddress, Pin> live = new HashMap<>();
        pins.forEach((client, pin) -> {
            if (now - pin.expiresAt < 0 && !pin.state.retired()) {
                live.put(client, pin);
            }
        });
        return live;
    }

    /** Pins a client until {@code expiresAt}, as a predecessor had it. */
    void restore(InetAddress client, BackendState state, int index, long expiresAt) {
        if (pins.size() < CAPACITY) {
            pins.put(client, new Pin(state, index, expiresAt));
        }
    }

    /** One client's backend; the index is a hint into the pool, checked before use. */
    static final class Pin {
        final BackendState state;
        volatile int index;
        volatile long expiresAt;

        Pin(BackendState state, int index, long expiresAt) {
            this.state = state;
            this.index = index;
            this.expiresAt = expiresAt;
        }
    }
}
