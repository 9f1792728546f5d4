package dev.sluice.proxy.cli;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SessionAffinity;
import dev.sluice.discovery.translate.Explanation;
import dev.sluice.proxy.iface.ClusterIpInterface;
import dev.sluice.proxy.listen.BindFailure;
import dev.sluice.proxy.listen.ListenerStatus;
import dev.sluice.proxy.observe.StatusPage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code /status} document of a running proxy, written by the process and read back by
 * {@code sluice explain --status}; this class owns the format both ways.
 *
 * <pre>
 * {"generation": 7, "mode": "file|kubernetes", "node": "node-a" or null,
 *  "total": service ports matching the query, "offset": the first shown, "limit": the most shown,
 *  "services": [ the entry object of sluice explain, plus "localEndpoints", "totalEndpoints" and
 *                "policy": {"internalTrafficPolicy", "externalTrafficPolicy", "sourceRanges",
 *                           "healthCheckNodePort", "balance", "maxConnections", "metrics"} ],
 *  "listeners": {"bound": ["127.0.0.1:8080", ...], "boundCount": N,
 *                "bindFailures": [{"service": "ns/name", "port", "protocol", "frontend", "address", "reason"}],
 *                "bindFailureCount": N},
 *  "clusterIpInterface": {"device": "sluice0", "addresses": ["198.18.0.10", ...], "addressCount": N} or null}
 * </pre>
 *
 * The extra per-entry fields let the reader rebuild each entry exactly, so the table it prints
 * is the one {@code sluice explain} prints for the same entries. One document holds one
 * {@link StatusPage} of the service ports, in service-port order; when the page is not the whole
 * table, the listener and interface lists hold only what the shown entries' frontends use, and
 * the counts say how many there are in all. A page costs time and bytes in proportion to its
 * size plus one pass over the table, never the whole table's JSON.
 */
final class LiveStatus {
    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final Comparator<InetSocketAddress> ADDRESS_ORDER = Comparator
            .comparing((InetSocketAddress a) -> a.getAddress().getAddress().length)
            .thenComparing(a -> a.getAddress().getAddress(), Arrays::compareUnsigned)
            .thenComparingInt(InetSocketAddress::getPort);

    /** A bind failure as the document carries it. */
    record Failure(String service, String port, String protocol, String frontend, String address, String reason) {
    }

    /** The interface holding service addresses. */
    record Interface(String device, List<String> addresses) {
    }

    /** A document read back; {@code node} and {@code clusterIpInterface} may be null. */
    record Snapshot(long generation, String mode, String node, int total, int offset, List<ServiceEntry> services,
            List<String> bound, List<Failure> bindFailures, Interface clusterIpInterface) {
    }

    private LiveStatus() {
    }

    /**
     * Renders the document from immutable snapshots only (the published table, the listener
     * status, the interface's address snapshot), so it never waits for a reconcile.
     *
     * @param clusterIp the interface holding service addresses, or {@code null} when not used
     */
    static String render(BackendTable table, ServeMode mode, ListenerStatus listeners, ClusterIpInterface clusterIp,
            StatusPage page) {
        List<ServiceEntry> matching = new ArrayList<>();
        for (ServiceEntry entry : table.entries()) {
            if (page.service() == null || page.service().equals(entry.key().serviceName())) {
                matching.add(entry);
            }
        }
        matching.sort(Comparator.comparing(ServiceEntry::key));
        int from = Math.min(page.offset(), matching.size());
        List<ServiceEntry> shown = matching.subList(from, Math.min(matching.size(), from + page.limit()));
        Predicate<InetSocketAddress> used = shown.size() == table.size() ? address -> true : usedBy(shown);

        ObjectNode root = JSON.createObjectNode();
        root.put("generation", table.generation());
        root.put("mode", mode.kind().name().toLowerCase(Locale.ROOT));
        root.put("node", mode.nodeName());
        root.put("total", matching.size());
        root.put("offset", from);
        root.put("limit", page.limit());
        ArrayNode services = root.putArray("services");
        for (ServiceEntry entry : shown) {
            services.add(service(entry));
        }
        ObjectNode listening = root.putObject("listeners");
        ArrayNode bound = listening.putArray("bound");
        listeners.bound().stream().filter(used).sorted(ADDRESS_ORDER).forEach(a -> bound.add(Addresses.format(a)));
        listening.put("boundCount", listeners.bound().size());
        ArrayNode failures = listening.putArray("bindFailures");
        listening.put("bindFailureCount", listeners.failures().size());
        for (BindFailure failure : listeners.failures()) {
            if (!used.test(failure.address())) {
                continue;
            }
            ObjectNode f = failures.addObject();
            f.put("service", failure.key().serviceName());
            f.put("port", failure.key().port());
            f.put("protocol", failure.key().protocol().name());
            f.put("frontend", failure.frontend().toString());
            f.put("address", Addresses.format(failure.address()));
            f.put("reason", failure.reason());
        }
        if (clusterIp == null) {
            root.putNull("clusterIpInterface");
        } else {
            ObjectNode device = root.putObject("clusterIpInterface");
            device.put("device", clusterIp.device());
            ArrayNode addresses = device.putArray("addresses");
            Set<InetAddress> held = clusterIp.heldAddresses();
            Set<InetAddress> shownAddresses = new HashSet<>();
            shown.forEach(entry -> entry.frontends().forEach(f -> shownAddresses.add(f.address())));
            held.stream().filter(a -> shown.size() == table.size() || shownAddresses.contains(a))
                    .map(a -> new InetSocketAddress(a, 0)).sorted(ADDRESS_ORDER)
                    .forEach(a -> addresses.add(Addresses.format(a.getAddress())));
            device.put("addressCount", held.size());
        }
        return JSON.writeValueAsString(root) + "\n";
    }

    /** Whether a listen address belongs to a frontend of these entries (a NodePort frontend: any address, its port). */
    private static Predicate<InetSocketAddress> usedBy(List<ServiceEntry> entries) {
        Set<InetSocketAddress> exact = new HashSet<>();
        Set<Integer> anyAddress = new HashSet<>();
        for (ServiceEntry entry : entries) {
            for (Frontend frontend : entry.frontends()) {
                if (frontend.address() == null) {
                    anyAddress.add(frontend.port());
                } else {
                    exact.add(new InetSocketAddress(frontend.address(), frontend.port()));
                }
            }
        }
        return address -> exact.contains(address) || anyAddress.contains(address.getPort());
    }

    private static ObjectNode service(ServiceEntry entry) {
        ObjectNode service = Explanation.serviceJson(entry);
        service.put("localEndpoints", entry.localEndpoints());
        service.put("totalEndpoints", entry.totalEndpoints());
        ServicePolicy p = entry.policy();
        ObjectNode policy = service.putObject("policy");
        policy.put("internalTrafficPolicy", p.internalLocal() ? "Local" : "Cluster");
        policy.put("externalTrafficPolicy", p.externalLocal() ? "Local" : "Cluster");
        ArrayNode ranges = policy.putArray("sourceRanges");
        p.sourceRanges().forEach(range -> ranges.add(range.toString()));
        policy.put("healthCheckNodePort", p.healthCheckNodePort());
        policy.put("balance", p.balance().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        policy.put("maxConnections", p.maxConnections());
        policy.put("metrics", p.metrics());
        return service;
    }

    /**
     * Reads a document back.
     *
     * @throws IllegalArgumentException naming the first field that is missing or malformed
     */
    static Snapshot parse(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        List<ServiceEntry> services = new ArrayList<>();
        JsonNode list = array(root, "services", "");
        for (int i = 0; i < list.size(); i++) {
            services.add(entry(list.get(i), "services[" + i + "]"));
        }
        JsonNode listeners = field(root, "listeners", "");
        List<String> bound = new ArrayList<>();
        for (JsonNode address : array(listeners, "bound", "listeners")) {
            bound.add(address.asString());
        }
        List<Failure> failures = new ArrayList<>();
        JsonNode failed = array(listeners, "bindFailures", "listeners");
        for (int i = 0; i < failed.size(); i++) {
            JsonNode f = failed.get(i);
            String at = "listeners.bindFailures[" + i + "]";
            failures.add(new Failure(string(f, "service", at), string(f, "port", at), string(f, "protocol", at),
                    string(f, "frontend", at), string(f, "address", at), string(f, "reason", at)));
        }
        Interface device = null;
        JsonNode iface = root.get("clusterIpInterface");
        if (iface != null && !iface.isNull()) {
            List<String> addresses = new ArrayList<>();
            array(iface, "addresses", "clusterIpInterface").forEach(a -> addresses.add(a.asString()));
            device = new Interface(string(iface, "device", "clusterIpInterface"), addresses);
        }
        JsonNode node = root.get("node");
        // Documents of earlier versions have no paging fields: they held the whole table.
        return new Snapshot(number(root, "generation", "").longValue(), string(root, "mode", ""),
                node == null || node.isNull() ? null : node.asString(), root.path("total").asInt(services.size()),
                root.path("offset").asInt(0), services, bound, failures, device);
    }

    private static ServiceEntry entry(JsonNode s, String at) {
        try {
            ServicePortKey key = new ServicePortKey(string(s, "namespace", at), string(s, "name", at),
                    string(s, "port", at), Protocol.valueOf(string(s, "protocol", at)),
                    IpFamily.valueOf(string(s, "family", at)));
            List<Frontend> frontends = new ArrayList<>();
            JsonNode list = array(s, "frontends", at);
            for (int i = 0; i < list.size(); i++) {
                JsonNode f = list.get(i);
                String fAt = at + ".frontends[" + i + "]";
                JsonNode address = f.get("address");
                frontends.add(new Frontend(frontendType(string(f, "type", fAt)),
                        address == null || address.isNull() ? null : Addresses.parseIp(address.asString()),
                        number(f, "port", fAt).intValue()));
            }
            JsonNode external = s.get("externalEndpoints");
            JsonNode affinity = s.get("sessionAffinity");
            String pAt = at + ".policy";
            JsonNode p = field(s, "policy", at);
            List<Cidr> ranges = new ArrayList<>();
            array(p, "sourceRanges", pAt).forEach(range -> ranges.add(Cidr.parse(range.asString())));
            ServicePolicy policy = new ServicePolicy(
                    "Local".equals(string(p, "internalTrafficPolicy", pAt)),
                    "Local".equals(string(p, "externalTrafficPolicy", pAt)),
                    affinity == null || affinity.isNull() ? null
                            : new SessionAffinity(number(affinity, "timeoutSeconds", at + ".sessionAffinity").intValue()),
                    ranges, number(p, "healthCheckNodePort", pAt).intValue(),
                    Balance.valueOf(string(p, "balance", pAt).toUpperCase(Locale.ROOT).replace('-', '_')),
                    number(p, "maxConnections", pAt).intValue(),
                    // Absent from the documents of earlier versions.
                    p.path("metrics").asBoolean(false));
            return new ServiceEntry(key, frontends, backends(array(s, "internalEndpoints", at)),
                    external == null || external.isNull() ? null : backends(external), policy,
                    number(s, "localEndpoints", at).intValue(), number(s, "totalEndpoints", at).intValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith(at) ? e.getMessage() : at + ": " + e.getMessage());
        }
    }

    private static List<Backend> backends(JsonNode array) {
        List<Backend> backends = new ArrayList<>();
        array.forEach(b -> backends.add(Backend.parse(b.asString())));
        return backends;
    }

    private static FrontendType frontendType(String wireName) {
        for (FrontendType type : FrontendType.values()) {
            if (type.wireName().equals(wireName)) {
                return type;
            }
        }
        throw new IllegalArgumentException("frontend type " + wireName);
    }

    private static JsonNode field(JsonNode parent, String name, String at) {
        JsonNode value = parent.get(name);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(path(at, name) + " missing");
        }
        return value;
    }

    private static JsonNode array(JsonNode parent, String name, String at) {
        JsonNode value = field(parent, name, at);
        if (!value.isArray()) {
            throw new IllegalArgumentException(path(at, name) + " is not an array");
        }
        return value;
    }

    private static String string(JsonNode parent, String name, String at) {
        JsonNode value = field(parent, name, at);
        if (!value.isString()) {
            throw new IllegalArgumentException(path(at, name) + " is not a string");
        }
        return value.asString();
    }

    private static Number number(JsonNode parent, String name, String at) {
        JsonNode value = field(parent, name, at);
        if (!value.isIntegralNumber()) {
            throw new IllegalArgumentException(path(at, name) + " is not an integer");
        }
        return value.numberValue();
    }

    private static String path(String at, String name) {
        return at.isEmpty() ? name : at + "." + name;
    }
}
