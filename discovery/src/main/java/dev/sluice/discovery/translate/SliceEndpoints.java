package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.IpFamily;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The endpoints of one Service, merged from its EndpointSlices and grouped by family, port name
 * and protocol. Reading follows kube-proxy's EndpointSlice cache:
 * <ul>
 *   <li>a slice belongs to the Service named by its {@code kubernetes.io/service-name} label in
 *       the Service's namespace; others are reported and ignored, FQDN slices too;</li>
 *   <li>a slice port without a name is named {@code ""}, without a protocol is TCP; a port
 *       number that is unset, 0 or out of range is reported and ignored; the number is the
 *       endpoint's target port;</li>
 *   <li>only {@code addresses[0]} counts, and it must be of the slice's address type; an
 *       endpoint without an address, or with a bad one, is reported (as that endpoint) and
 *       ignored, and the rest of its slice is used;</li>
 *   <li>the same {@code ip:port} seen twice is kept once, preferring a non-terminating copy.
 *       Slices are read in name order, so among equals the first slice wins (upstream leaves
 *       that case undefined).</li>
 * </ul>
 */
final class SliceEndpoints {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private record PortKey(IpFamily family, String name, String protocol) {
    }

    private record ParsedEndpoint(InetAddress ip, boolean ready, boolean serving, boolean terminating,
            boolean local, Set<String> zoneHints, Set<String> nodeHints) {
    }

    private final Map<PortKey, Map<Backend, EndpointState>> byPort = new HashMap<>();
    private final Map<IpFamily, Set<InetAddress>> localReadyIps = new EnumMap<>(IpFamily.class);

    private SliceEndpoints() {
        for (IpFamily family : IpFamily.values()) {
            localReadyIps.put(family, new HashSet<>());
        }
    }

    /** Reads the slices that belong to the Service {@code namespace/serviceName}. */
    static SliceEndpoints read(String namespace, String serviceName, Collection<EndpointSlice> slices, String nodeName,
            Skips skips) {
        SliceEndpoints result = new SliceEndpoints();
        List<EndpointSlice> ordered = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            if (slice == null) {
                skips.slice("", "", "empty-object");
            } else {
                ordered.add(slice);
            }
        }
        ordered.sort(Comparator.comparing(s -> text(meta(s).getName())));
        for (EndpointSlice slice : ordered) {
            IpFamily family = belongingFamily(slice, namespace, serviceName, skips);
            if (family != null) {
                result.add(slice, family, nodeName, skips);
            }
        }
        return result;
    }

    /** The deduplicated endpoints of one service port, sorted by address. */
    List<EndpointState> forPort(IpFamily family, String portName, String protocol) {
        Map<Backend, EndpointState> endpoints = byPort.get(new PortKey(family, portName, protocol));
        if (endpoints == null) {
            return List.of();
        }
        List<EndpointState> list = new ArrayList<>(endpoints.values());
        list.sort(Comparator.comparing(EndpointState::backend));
        return list;
    }

    /**
     * How many distinct IPs of local, ready endpoints the Service has in this family, over all of
     * its slice ports: the count kube-proxy's health-check node port reports.
     */
    int localReadyEndpoints(IpFamily family) {
        return localReadyIps.get(family).size();
    }

    /** The slice's family when it belongs to the Service and can be proxied, else {@code null}. */
    private static IpFamily belongingFamily(EndpointSlice slice, String namespace, String serviceName, Skips skips) {
        ObjectMeta meta = meta(slice);
        String sliceNamespace = text(meta.getNamespace());
        String sliceName = text(meta.getName());
        Map<String, String> labels = meta.getLabels();
        String owner = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        if (owner == null || owner.isEmpty()) {
            skips.slice(sliceNamespace, sliceName, "no-service-name-label");
            return null;
        }
        if (!owner.equals(serviceName) || !sliceNamespace.equals(namespace)) {
            skips.slice(sliceNamespace, sliceName, "other-service");
            return null;
        }
        String addressType = slice.getAddressType();
        if ("IPv4".equals(addressType)) {
            return IpFamily.IPv4;
        }
        if ("IPv6".equals(addressType)) {
            return IpFamily.IPv6;
        }
        skips.slice(sliceNamespace, sliceName, "FQDN".equals(addressType) ? "fqdn-slice" : "unsupported-address-type");
        return null;
    }

    private void add(EndpointSlice slice, IpFamily family, String nodeName, Skips skips) {
        String sliceNamespace = text(meta(slice).getNamespace());
        String sliceName = text(meta(slice).getName());
        List<PortKey> keys = new ArrayList<>();
        List<Integer> numbers = new ArrayList<>();
        for (EndpointPort port : nonNull(slice.getPorts())) {
            Integer number = port == null ? null : port.getPort();
            if (number == null || number < 1 || number > 65535) {
                skips.slice(sliceNamespace, sliceName, "invalid-port");
                continue;
            }
            String name = text(port.getName());
            String protocol = port.getProtocol() == null ? "TCP" : port.getProtocol();
            keys.add(new PortKey(family, name, protocol));
            numbers.add(number);
        }
        // Endpoints are read even when no port is usable, so that bad addresses are still reported.
        List<ParsedEndpoint> endpoints = parseEndpoints(slice, family, nodeName, sliceNamespace, sliceName, skips);
        if (keys.isEmpty()) {
            return;
        }
        for (ParsedEndpoint endpoint : endpoints) {
            if (endpoint.local() && endpoint.ready()) {
                localReadyIps.get(family).add(endpoint.ip());
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            Map<Backend, EndpointState> merged = byPort.computeIfAbsent(keys.get(i), k -> new LinkedHashMap<>());
            for (ParsedEndpoint e : endpoints) {
                Backend backend = new Backend(new InetSocketAddress(e.ip(), numbers.get(i)));
                EndpointState state = new EndpointState(backend, e.ready(), e.serving(), e.terminating(), e.local(),
                        e.zoneHints(), e.nodeHints());
                EndpointState existing = merged.get(backend);
                if (existing == null || existing.terminating() && !state.terminating()) {
                    merged.put(backend, state);
                }
            }
        }
    }

    private static List<ParsedEndpoint> parseEndpoints(EndpointSlice slice, IpFamily family, String nodeName,
            String sliceNamespace, String sliceName, Skips skips) {
        List<ParsedEndpoint> parsed = new ArrayList<>();
        List<Endpoint> all = nonNull(slice.getEndpoints());
        for (int index = 0; index < all.size(); index++) {
            Endpoint endpoint = all.get(index);
            List<String> addresses = endpoint == null ? null : endpoint.getAddresses();
            if (addresses == null || addresses.isEmpty()) {
                // As kube-proxy: only this endpoint is ignored, its neighbours in the slice are used.
                skips.endpoint(sliceNamespace, sliceName, index, "no-address");
                continue;
            }
            InetAddress ip = Ips.parse(addresses.get(0));
            if (ip == null || IpFamily.of(ip) != family) {
                skips.endpoint(sliceNamespace, sliceName, index, "invalid-address");
                continue;
            }
            EndpointConditions conditions = endpoint.getConditions();
            boolean ready = conditions == null || conditions.getReady() == null || conditions.getReady();
            boolean serving = conditions == null || conditions.getServing() == null || conditions.getServing();
            boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
            boolean local = !nodeName.isEmpty() && nodeName.equals(endpoint.getNodeName());
            EndpointHints hints = endpoint.getHints();
            Set<String> zones = new HashSet<>();
            Set<String> nodes = new HashSet<>();
            if (hints != null) {
                for (ForZone zone : nonNull(hints.getForZones())) {
                    if (zone != null && zone.getName() != null) {
                        zones.add(zone.getName());
                    }
                }
                for (ForNode node : nonNull(hints.getForNodes())) {
                    if (node != null && node.getName() != null) {
                        nodes.add(node.getName());
                    }
                }
            }
            parsed.add(new ParsedEndpoint(ip, ready, serving, terminating, local, zones, nodes));
        }
        return parsed;
    }

    private static ObjectMeta meta(EndpointSlice slice) {
        return Objects.requireNonNullElseGet(slice.getMetadata(), ObjectMeta::new);
    }

    static String text(String value) {
        return value == null ? "" : value;
    }

    static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }
}
