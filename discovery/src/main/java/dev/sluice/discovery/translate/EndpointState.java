package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Backend;
import java.util.Set;

/**
 * One endpoint of one service port, with the conditions and hints its EndpointSlice gave it
 * (already defaulted: ready and serving true when unset, terminating false when unset).
 *
 * @param backend     {@code addresses[0]} and the slice port's number
 * @param local       whether its {@code nodeName} is this node
 * @param zoneHints   {@code hints.forZones} names; empty when it has none
 * @param nodeHints   {@code hints.forNodes} names; empty when it has none
 */
record EndpointState(Backend backend, boolean ready, boolean serving, boolean terminating, boolean local,
        Set<String> zoneHints, Set<String> nodeHints) {

    EndpointState {
        zoneHints = Set.copyOf(zoneHints);
        nodeHints = Set.copyOf(nodeHints);
    }

    /** Usable only as a last resort: still serving, but on its way out. */
    boolean servingTerminating() {
        return serving && terminating;
    }
}
