package dev.sluice.proxy.balance;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.SessionAffinity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The balancing state of one service port, living as long as the port is in the table: the
 * current {@link Routes}, round-robin cursors, per-backend state and affinity tables.
 *
 * <p>Threading: {@link #update} and {@link #sweep} are called by one control thread at a time;
 * event loops only read {@link #routes()} (one volatile read) and use the pools it returns.
 */
public final class Balancer {
    private final Ejection ejection;
    private final AtomicLong internalCursor = new AtomicLong();
    private final AtomicLong externalCursor = new AtomicLong();
    /**
     * Only while the entry has client-IP affinity: most services have none, and two empty tables
     * cost about 180 bytes per service port. Written by the control thread; event loops reach
     * them through the pools of {@link #routes}.
     */
    private volatile AffinityTable internalPins;
    private volatile AffinityTable externalPins;
    /** Confined to the control thread. */
    private Map<Backend, BackendState> states = Map.of();
    private volatile Routes routes;

    /** A balancer serving {@code entry}. */
    public Balancer(ServiceEntry entry, Ejection ejection) {
        this.ejection = ejection;
        update(entry);
    }

    /** The current routes. */
    public Routes routes() {
        return routes;
    }

    /**
     * Switches to a new entry version. Backends that stay keep their state; those that left
     * are retired and returned, so the caller can drain their connections.
     */
    public List<BackendState> update(ServiceEntry entry) {
        Map<Backend, BackendState> next = new HashMap<>();
        BackendState[] internal = statesFor(entry.internalEndpoints(), next);
        BackendState[] external = entry.externalEndpoints() == null ? null : statesFor(entry.externalEndpoints(), next);
        List<BackendState> retired = new ArrayList<>();
        for (BackendState old : states.values()) {
            if (next.get(old.backend()) != old) {
                old.retire();
                retired.add(old);
            }
        }
        states = next;

        SessionAffinity affinity = entry.policy().affinity();
        if (affinity == null) {
            // Pins of an earlier version with affinity are dropped with their tables.
            internalPins = null;
            externalPins = null;
        } else {
            long timeout = TimeUnit.SECONDS.toNanos(affinity.timeoutSeconds());
            if (internalPins == null) {
                internalPins = new AffinityTable(timeout);
                externalPins = new AffinityTable(timeout);
            }
            internalPins.timeoutNanos(timeout);
            externalPins.timeoutNanos(timeout);
        }
        AffinityTable internalTable = internalPins;
        AffinityTable externalTable = externalPins;
        Pool internalPool = new Pool(internal, entry.policy().balance(), internalCursor, internalTable, ejection);
        Pool externalPool = external == null ? internalPool
                : new Pool(external, entry.policy().balance(), externalCursor, externalTable, ejection);
        if (affinity != null) {
            internalTable.retainAll(internalPool);
            externalTable.retainAll(externalPool);
        }
        routes = new Routes(entry, internalPool, externalPool);
        return retired;
    }

    /** Retires every backend: the service port left the table. */
    public void retireAll() {
        for (BackendState state : states.values()) {
            state.retire();
        }
        internalPins = null;
        externalPins = null;
    }

    /** Drops expired affinity pins; {@code now} is {@link System#nanoTime()}. */
    public void sweep(long now) {
        AffinityTable internal = internalPins;
        AffinityTable external = externalPins;
        if (internal != null) {
            internal.sweep(now);
        }
        if (external != null) {
            external.sweep(now);
        }
    }

    /** Clients currently pinned, over both kinds of traffic. */
    public int pinnedClients() {
        AffinityTable internal = internalPins;
        AffinityTable external = externalPins;
        return (internal == null ? 0 : internal.size()) + (external == null ? 0 : external.size());
    }

    private BackendState[] statesFor(List<Backend> backends, Map<Backend, BackendState> next) {
        BackendState[] array = new BackendState[backends.size()];
        for (int i = 0; i < array.length; i++) {
            Backend backend = backends.get(i);
            BackendState state = next.get(backend);
            if (state == null) {
                state = states.get(backend);
                if (state == null) {
                    state = new BackendState(backend);
                }
                next.put(backend, state);
            }
            array[i] = state;
        }
        return array;
    }
}
