package dev.sluice.proxy.balance;

import dev.sluice.discovery.model.Balance;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backends one kind of traffic (internal or external) of one entry version may use, in the
 * entry's order, with the balancing state carried over from earlier versions. Immutable apart
 * from that shared state; picking never locks.
 *
 * <p>Implementation notes: the round-robin cursor is one atomic counter per service port and
 * kind, so N sequential connections over k backends give each N/k ± 1 whatever event loop
 * accepted them. Least-connections scans the array from a rotating start so ties spread.
 */
public final class Pool {
    private final BackendState[] states;
    private final boolean leastConnections;
    private final AtomicLong cursor;
    /** {@code null} without session affinity. */
    private final AffinityTable pins;
    private final Ejection ejection;

    Pool(BackendState[] states, Balance balance, AtomicLong cursor, AffinityTable pins, Ejection ejection) {
        this.states = states;
        this.leastConnections = balance == Balance.LEAST_CONNECTIONS;
        this.cursor = cursor;
        this.pins = pins;
        this.ejection = ejection;
    }

    /** Whether there is no backend to pick. */
    public boolean isEmpty() {
        return states.length == 0;
    }

    /** How many backends the pool holds. */
    public int size() {
        return states.length;
    }

    /** The backend at a position, in the entry's order. */
    public BackendState get(int index) {
        return states[index];
    }

    /** Where a backend is in this pool, by identity, or -1. */
    public int indexOf(BackendState state) {
        for (int i = 0; i < states.length; i++) {
            if (states[i] == state) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Counts a connection another process established to the backend at {@code address} (a
     * handover) as if this pool had picked it; returns it, or null when the backend is not here.
     * The caller releases it like a pick.
     */
    public BackendState adopt(InetSocketAddress address) {
        for (BackendState state : states) {
            if (state.address().equals(address)) {
                state.acquire();
                return state;
            }
        }
        return null;
    }

    /** A client-IP affinity pin of this pool, as a predecessor hands it to a successor. */
    public record Pinned(InetAddress client, InetSocketAddress backend, long nanosLeft) {
    }

    /** The live client-IP pins; none without session affinity. */
    public List<Pinned> pinned(long now) {
        if (pins == null) {
            return List.of();
        }
        List<Pinned> all = new ArrayList<>();
        pins.live(now).forEach((client, pin) -> all.add(new Pinned(client, pin.state.address(), pin.expiresAt - now)));
        return all;
    }

    /** Pins a client as a predecessor had it, if this pool has affinity and that backend; returns whether it did. */
    public boolean restore(Pinned pinned, long now) {
        if (pins == null) {
            return false;
        }
        for (int i = 0; i < states.length; i++) {
            if (states[i].address().equals(pinned.backend())) {
                pins.restore(pinned.client(), states[i], i, now + pinned.nanosLeft());
                return true;
            }
        }
        return false;
    }

    /** Starts picking a backend for a new connection (or UDP flow) from {@code client}. */
    public Dial dial(InetAddress client) {
        return new Dial(this, client);
    }

    Ejection ejection() {
        return ejection;
    }

    /** The pinned, usable backend index for a client, or -1. */
    int pinned(InetAddress client, long now) {
        if (pins == null) {
            return -1;
        }
        AffinityTable.Pin pin = pins.lookup(client, now);
        if (pin == null) {
            return -1;
        }
        int index = pin.index;
        if (index >= states.length || states[index] != pin.state) {
            index = indexOf(pin.state);
            if (index < 0) {
                pins.forget(client, pin);
                return -1;
            }
            pin.index = index;
        }
        return pin.state.ejected(now) ? -1 : index;
    }

    void pin(InetAddress client, int index, long now) {
        if (pins != null) {
            pins.pin(client, states[index], index, now);
        }
    }

    /** The first pick of a connection: advances the shared cursor once. */
    int first(long now) {
        int start = (int) Math.floorMod(cursor.getAndIncrement(), (long) states.length);
        return choose(start, null, now);
    }

    /** The next untried backend after {@code previous} failed, or -1 when all were tried. */
    int next(int previous, boolean[] tried, long now) {
        return choose(previous + 1, tried, now);
    }

    /**
     * Scans from {@code start}, skipping tried backends: the first (round robin) or least loaded
     * (least connections) backend that is not ejected, else the same among ejected ones, since
     * trying an ejected backend beats refusing the client.
     */
    private int choose(int start, boolean[] tried, long now) {
        int n = states.length;
        int best = -1;
        int bestLoad = Integer.MAX_VALUE;
        int fallback = -1;
        int fallbackLoad = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            int index = (start + i) % n;
            if (tried != null && tried[index]) {
                continue;
            }
            BackendState state = states[index];
            int load = leastConnections ? state.active() : 0;
            if (!state.ejected(now)) {
                if (load < bestLoad) {
                    best = index;
                    bestLoad = load;
                    if (!leastConnections) {
                        break;
                    }
                }
            } else if (load < fallbackLoad) {
                fallback = index;
                fallbackLoad = load;
            }
        }
        return best >= 0 ? best : fallback;
    }
}
