package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.ServiceEntry;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a Sluice proxy on one node would do with a set of Services and EndpointSlices: every
 * table entry and every skipped part, as {@code sluice explain} prints it.
 *
 * <p>Slices are grouped to Services by their {@code kubernetes.io/service-name} label and
 * namespace; a slice whose Service is not among the input is reported as {@code no-service},
 * a repeated Service as {@code duplicate-service}. Objects the informers' label selector
 * ({@link ProxyLabels#SELECTOR}) would filter out at the API are left out here too and listed
 * with the label's reason ({@code headless}, {@code service-proxy-name}). The node's zone comes from the Node object
 * of that name (label {@code topology.kubernetes.io/zone}), when given.
 */
public final class Explanation {
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final String node;
    private final String zone;
    private final List<String> nodePortAddresses;
    private final List<ServiceEntry> entries;
    private final List<Skip> skipped;

    private Explanation(String node, String zone, List<String> nodePortAddresses, List<ServiceEntry> entries,
            List<Skip> skipped) {
        this.node = node;
        this.zone = zone;
        this.nodePortAddresses = nodePortAddresses;
        this.entries = entries;
        this.skipped = skipped;
    }

    /**
     * Translates every Service with its slices for the named node.
     *
     * @param nodePortAddresses the {@code --nodeport-addresses} value to echo, or {@code null}
     */
    public static Explanation explain(Collection<Service> services, Collection<EndpointSlice> slices,
            Collection<Node> nodes, String nodeName, List<String> nodePortAddresses) {
        String zone = zoneOf(nodes, nodeName);
        NodeContext context = new NodeContext(nodeName, zone, Balance.ROUND_ROBIN);
        Map<String, List<EndpointSlice>> slicesByService = new HashMap<>();
        List<Skip> skipped = new ArrayList<>();
        for (EndpointSlice slice : slices) {
            ObjectMeta meta = slice.getMetadata() == null ? new ObjectMeta() : slice.getMetadata();
            String filtered = ProxyLabels.excludedBy(meta.getLabels());
            if (filtered != null) {
                // What the informers' label selector keeps from ever reaching a node's table.
                skipped.add(new Skip("EndpointSlice", text(meta.getNamespace()), text(meta.getName()), filtered));
                continue;
            }
            String owner = meta.getLabels() == null ? null : meta.getLabels().get(SliceEndpoints.SERVICE_NAME_LABEL);
            if (owner == null || owner.isEmpty()) {
                skipped.add(new Skip("EndpointSlice", text(meta.getNamespace()), text(meta.getName()),
                        "no-service-name-label"));
            } else {
                slicesByService.computeIfAbsent(text(meta.getNamespace()) + "/" + owner, k -> new ArrayList<>())
                        .add(slice);
            }
        }
        List<ServiceEntry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Service service : services) {
            ObjectMeta meta = service.getMetadata() == null ? new ObjectMeta() : service.getMetadata();
            String key = text(meta.getNamespace()) + "/" + text(meta.getName());
            if (!seen.add(key)) {
                skipped.add(new Skip("Service", text(meta.getNamespace()), text(meta.getName()), "duplicate-service"));
                continue;
            }
            Translation translation = ServiceTranslator.translate(service,
                    slicesByService.getOrDefault(key, List.of()), context);
            entries.addAll(translation.entries());
            skipped.addAll(translation.skipped());
        }
        slicesByService.forEach((service, orphans) -> {
            if (!seen.contains(service)) {
                for (EndpointSlice slice : orphans) {
                    skipped.add(new Skip("EndpointSlice", text(slice.getMetadata().getNamespace()),
                            text(slice.getMetadata().getName()), "no-service"));
                }
            }
        });
        entries.sort(Comparator.comparing(ServiceEntry::key));
        skipped.sort(Comparator.comparing(Skip::kind).thenComparing(Skip::namespace).thenComparing(Skip::name)
                .thenComparing(Skip::reason));
        return new Explanation(nodeName, zone, nodePortAddresses == null ? null : List.copyOf(nodePortAddresses),
                List.copyOf(entries), List.copyOf(skipped));
    }

    /** The node explained for. */
    public String node() {
        return node;
    }

    /** Its zone, or {@code null}. */
    public String zone() {
        return zone;
    }

    /** The {@code --nodeport-addresses} value given, or {@code null}. */
    public List<String> nodePortAddresses() {
        return nodePortAddresses;
    }

    /** Every entry, sorted by key. */
    public List<ServiceEntry> entries() {
        return entries;
    }

    /** Every skipped part, sorted by kind, namespace, name and reason; parts of one object in the order found. */
    public List<Skip> skipped() {
        return skipped;
    }

    /**
     * The JSON document: {@code node}, {@code zone}, {@code nodePortAddresses} (only when given),
     * {@code services} (one object per entry: namespace, name, port, protocol, family, frontends,
     * internalEndpoints, externalEndpoints, sessionAffinity) and {@code skipped} (kind,
     * namespace, name, {@code part} only when one part alone was left out, reason).
     */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("node", node);
        root.put("zone", zone);
        if (nodePortAddresses != null) {
            ArrayNode addresses = root.putArray("nodePortAddresses");
            nodePortAddresses.forEach(addresses::add);
        }
        ArrayNode services = root.putArray("services");
        entries.forEach(entry -> services.add(serviceJson(entry)));
        ArrayNode skips = root.putArray("skipped");
        for (Skip skip : skipped) {
            ObjectNode s = skips.addObject();
            s.put("kind", skip.kind());
            s.put("namespace", skip.namespace());
            s.put("name", skip.name());
            if (!skip.part().isEmpty()) {
                s.put("part", skip.part());
            }
            s.put("reason", skip.reason());
        }
        return JSON.writeValueAsString(root) + System.lineSeparator();
    }

    /** A fixed-width text rendering for people; see {@link ExplanationTable}. */
    public String toTable() {
        return ExplanationTable.render(this);
    }

    /**
     * One entry as {@link #toJson()} prints it under {@code services}: namespace, name, port,
     * protocol, family, frontends, internalEndpoints, externalEndpoints, sessionAffinity. Shared
     * with other documents that show entries (the proxy's live status), so both read the same.
     */
    public static ObjectNode serviceJson(ServiceEntry entry) {
        ObjectNode service = JSON.createObjectNode();
        service.put("namespace", entry.key().namespace());
        service.put("name", entry.key().name());
        service.put("port", entry.key().port());
        service.put("protocol", entry.key().protocol().name());
        service.put("family", entry.key().family().name());
        ArrayNode frontends = service.putArray("frontends");
        for (Frontend frontend : entry.frontends()) {
            ObjectNode f = frontends.addObject();
            f.put("type", frontend.type().wireName());
            f.put("address", frontend.address() == null ? null : Addresses.format(frontend.address()));
            f.put("port", frontend.port());
        }
        backends(service.putArray("internalEndpoints"), entry.internalEndpoints());
        if (entry.externalEndpoints() == null) {
            service.putNull("externalEndpoints");
        } else {
            backends(service.putArray("externalEndpoints"), entry.externalEndpoints());
        }
        if (entry.policy().affinity() == null) {
            service.putNull("sessionAffinity");
        } else {
            ObjectNode affinity = service.putObject("sessionAffinity");
            affinity.put("type", "ClientIP");
            affinity.put("timeoutSeconds", entry.policy().affinity().timeoutSeconds());
        }
        return service;
    }

    /**
     * The service rows of {@link #toTable()} for these entries, in the given order, without the
     * node line and the skipped parts: for documents that show entries of another origin.
     */
    public static String serviceTable(List<ServiceEntry> entries) {
        return ExplanationTable.services(entries);
    }

    /** Rows as a text table with aligned columns, the layout every table of {@code explain} uses. */
    public static String alignColumns(List<String[]> rows) {
        return ExplanationTable.aligned(rows);
    }

    private static void backends(ArrayNode array, List<Backend> backends) {
        backends.forEach(b -> array.add(b.toString()));
    }

    private static String zoneOf(Collection<Node> nodes, String nodeName) {
        for (Node node : nodes) {
            ObjectMeta meta = node.getMetadata();
            if (meta != null && nodeName.equals(meta.getName()) && meta.getLabels() != null) {
                return meta.getLabels().get(ZONE_LABEL);
            }
        }
        return null;
    }

    private static String text(String value) {
        return value == null ? "" : value;
    }
}
