package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Backend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Chooses which endpoints of one service port receive traffic on this node, as kube-proxy's
 * {@code CategorizeEndpoints} (pkg/proxy/topology.go) does:
 * <ul>
 *   <li>cluster endpoints: the ready endpoints the topology mode allows; when there are none,
 *       every serving-and-terminating endpoint, ignoring topology;</li>
 *   <li>local endpoints: the local ready ones; when there are none, the local
 *       serving-and-terminating ones. Topology never narrows local endpoints.</li>
 * </ul>
 * The topology mode is read from the hints of ready endpoints only: same-node when every one
 * has node hints and one names this node; else same-zone when every one has zone hints and one
 * names this node's zone; else none. A node without a zone label is treated as zone
 * {@code ""}, as upstream does.
 */
final class EndpointCategorizer {
    private EndpointCategorizer() {
    }

    /** How the cluster set is narrowed by EndpointSlice hints. */
    enum TopologyMode {
        NONE, PREFER_SAME_NODE, PREFER_SAME_ZONE
    }

    /**
     * The two candidate sets, each sorted. A set the service port never uses is empty.
     */
    record Categories(List<Backend> cluster, List<Backend> local) {
    }

    static Categories categorize(List<EndpointState> endpoints, boolean usesCluster, boolean usesLocal,
            String nodeName, String zone) {
        if (endpoints.isEmpty()) {
            return new Categories(List.of(), List.of());
        }
        String nodeZone = zone == null ? "" : zone;
        List<Backend> cluster = List.of();
        if (usesCluster) {
            TopologyMode mode = topologyMode(endpoints, nodeName, nodeZone);
            cluster = select(endpoints, e -> e.ready() && availableFor(e, mode, nodeName, nodeZone));
            if (cluster.isEmpty()) {
                // Ready endpoints anywhere would have disabled topology already; none are left.
                cluster = select(endpoints, EndpointState::servingTerminating);
            }
        }
        List<Backend> local = List.of();
        if (usesLocal) {
            local = select(endpoints, e -> e.local() && e.ready());
            if (local.isEmpty()) {
                local = select(endpoints, e -> e.local() && e.servingTerminating());
            }
        }
        return new Categories(cluster, local);
    }

    static TopologyMode topologyMode(List<EndpointState> endpoints, String nodeName, String zone) {
        boolean anyReady = false;
        boolean allNodeHinted = true;
        boolean hintedForNode = false;
        boolean allZoneHinted = true;
        boolean hintedForZone = false;
        for (EndpointState endpoint : endpoints) {
            if (!endpoint.ready()) {
                continue;
            }
            anyReady = true;
            if (endpoint.nodeHints().isEmpty()) {
                allNodeHinted = false;
            } else if (endpoint.nodeHints().contains(nodeName)) {
                hintedForNode = true;
            }
            if (endpoint.zoneHints().isEmpty()) {
                allZoneHinted = false;
            } else if (endpoint.zoneHints().contains(zone)) {
                hintedForZone = true;
            }
        }
        if (!anyReady) {
            return TopologyMode.NONE;
        }
        if (allNodeHinted && hintedForNode) {
            return TopologyMode.PREFER_SAME_NODE;
        }
        if (allZoneHinted && hintedForZone) {
            return TopologyMode.PREFER_SAME_ZONE;
        }
        return TopologyMode.NONE;
    }

    private static boolean availableFor(EndpointState endpoint, TopologyMode mode, String nodeName, String zone) {
        return switch (mode) {
            case NONE -> true;
            case PREFER_SAME_NODE -> endpoint.nodeHints().contains(nodeName);
            case PREFER_SAME_ZONE -> endpoint.zoneHints().contains(zone);
        };
    }

    private static List<Backend> select(List<EndpointState> endpoints, Predicate<EndpointState> keep) {
        List<Backend> selected = new ArrayList<>();
        for (EndpointState endpoint : endpoints) {
            if (keep.test(endpoint)) {
                selected.add(endpoint.backend());
            }
        }
        Collections.sort(selected);
        return List.copyOf(selected);
    }
}
