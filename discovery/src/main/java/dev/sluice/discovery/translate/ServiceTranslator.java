package dev.sluice.discovery.translate;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SourceIp;
import dev.sluice.discovery.model.SessionAffinity;
import dev.sluice.discovery.translate.EndpointCategorizer.Categories;
import dev.sluice.discovery.translate.PolicyReader.SourceRanges;
import dev.sluice.discovery.translate.ServicePorts.PortSpec;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one Service and its EndpointSlices into table entries: one per service port and IP
 * family, following kube-proxy (see {@code /work/shared/design/semantics.md} sections 1-4).
 *
 * <p>Pure and total: the result depends only on the arguments, and no object content (nulls,
 * bad IPs, out-of-range ports, unknown enums) makes it throw. Every part left out is reported
 * as a {@link Skip}; a Service that cannot be proxied at all yields no entries and a skip that
 * says why ({@code headless}, {@code external-name}, {@code no-cluster-ip}, ...).
 *
 * <p>Per entry:
 * <ul>
 *   <li>frontends: each cluster IP of the family on the port; a NodePort frontend (address
 *       {@code null}) for a non-zero node port of a NodePort or LoadBalancer Service; each
 *       LoadBalancer ingress IP of the family whose {@code ipMode} is unset or {@code VIP}; each
 *       external IP of the family;</li>
 *   <li>internal endpoints: the local set under {@code internalTrafficPolicy: Local}, else the
 *       cluster set; external endpoints: the local set under {@code externalTrafficPolicy: Local},
 *       else the cluster set, and {@code null} when the port has no external frontend kind
 *       (node port, VIP ingress IP or external IP of the family);</li>
 *   <li>{@code localEndpoints}: the number kube-proxy's health-check node port reports, i.e.
 *       distinct IPs of local <em>ready</em> endpoints over all ports of the Service in this
 *       family (terminating ones do not count). It is the same on every entry of the Service
 *       and family: do not sum it over ports;</li>
 *   <li>{@code totalEndpoints}: the distinct endpoints of the port after de-duplication,
 *       whatever their conditions.</li>
 * </ul>
 * Source ranges fail closed: when every range listed for a family is unreadable, the entry
 * keeps no LoadBalancer frontend rather than admitting everyone.
 */
public final class ServiceTranslator {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceTranslator.class);

    private ServiceTranslator() {
    }

    /**
     * Translates one Service.
     *
     * @param service the Service; may be {@code null} or malformed
     * @param slices  the slices believed to belong to it; those that do not are reported and
     *                ignored
     * @param node    the node this proxy runs on
     * @return the entries sorted by key, and the skips
     */
    public static Translation translate(Service service, Collection<EndpointSlice> slices, NodeContext node) {
        ObjectMeta meta = service == null ? null : service.getMetadata();
        String namespace = meta == null ? "" : SliceEndpoints.text(meta.getNamespace());
        String name = meta == null ? "" : SliceEndpoints.text(meta.getName());
        Skips skips = new Skips(namespace, name);
        try {
            List<ServiceEntry> entries = entries(service, namespace, name, slices == null ? List.of() : slices,
                    node, skips);
            return new Translation(entries, skips.list());
        } catch (RuntimeException e) {
            // A bug, not bad input: keep the rest of the table alive and make the loss visible.
            LOG.warn("[{}/{}] translation failed, the Service is left out", namespace, name, e);
            skips.service("translation-failed");
            return new Translation(List.of(), skips.list());
        }
    }

    /** Why the whole Service is not proxied, or {@code null} when it is. */
    static String skipReason(Service service) {
        if (service == null) {
            return "empty-object";
        }
        ObjectMeta meta = service.getMetadata();
        if (meta == null || meta.getName() == null || meta.getName().isEmpty()) {
            return "no-name";
        }
        String filtered = ProxyLabels.excludedBy(meta.getLabels());
        if (filtered != null) {
            return filtered;
        }
        ServiceSpec spec = service.getSpec();
        if (spec == null) {
            return "no-spec";
        }
        String type = type(spec);
        if ("ExternalName".equals(type)) {
            return "external-name";
        }
        if (!"ClusterIP".equals(type) && !"NodePort".equals(type) && !"LoadBalancer".equals(type)) {
            return "unsupported-type";
        }
        List<String> clusterIps = clusterIpTexts(spec);
        if (clusterIps.isEmpty()) {
            return "no-cluster-ip";
        }
        if ("None".equals(clusterIps.get(0))) {
            return "headless";
        }
        return null;
    }

    private static List<ServiceEntry> entries(Service service, String namespace, String name,
            Collection<EndpointSlice> slices, NodeContext node, Skips skips) {
        String reason = skipReason(service);
        if (reason != null) {
            skips.service(reason);
            return List.of();
        }
        ServiceSpec spec = service.getSpec();
        Map<IpFamily, List<InetAddress>> clusterIps = Ips.byFamily(clusterIpTexts(spec), skips);
        List<PortSpec> ports = ServicePorts.read(spec.getPorts(), skips);
        if (ports.isEmpty() && SliceEndpoints.nonNull(spec.getPorts()).isEmpty()) {
            skips.service("no-ports");
        }
        String type = type(spec);
        boolean nodePortType = "NodePort".equals(type) || "LoadBalancer".equals(type);
        Map<IpFamily, List<InetAddress>> externalIps = Ips.byFamily(spec.getExternalIPs(), skips);
        Map<IpFamily, List<InetAddress>> vips = loadBalancerVips(service.getStatus(), skips);
        Map<IpFamily, SourceRanges> ranges = PolicyReader.sourceRanges(spec.getLoadBalancerSourceRanges(), skips);
        boolean internalLocal = "Local".equals(spec.getInternalTrafficPolicy());
        // As upstream's apiservice.ExternalPolicyLocal: only a Service reachable from outside has one.
        boolean externallyReachableType = nodePortType
                || "ClusterIP".equals(type) && !SliceEndpoints.nonNull(spec.getExternalIPs()).isEmpty();
        boolean externalLocal = externallyReachableType && "Local".equals(spec.getExternalTrafficPolicy());
        int healthCheckNodePort = healthCheckNodePort(spec, type, externalLocal, skips);
        SessionAffinity affinity = PolicyReader.affinity(spec, skips);
        Map<String, String> annotations = service.getMetadata().getAnnotations();
        Balance balance = PolicyReader.balance(annotations, node.defaultBalance(), skips);
        int maxConnections = PolicyReader.maxConnections(annotations, skips);
        boolean metrics = PolicyReader.metrics(annotations, skips);
        ProxyProtocol proxyProtocol = PolicyReader.proxyProtocol(annotations, skips);
        SliceEndpoints endpoints = SliceEndpoints.read(namespace, name, slices, node.nodeName(), skips);

        List<ServiceEntry> entries = new ArrayList<>();
        for (IpFamily family : IpFamily.values()) {
            if (clusterIps.get(family).isEmpty()) {
                continue;
            }
            SourceRanges familyRanges = ranges.get(family);
            ServicePolicy policy = new ServicePolicy(internalLocal, externalLocal, affinity, familyRanges.ranges(),
                    healthCheckNodePort, balance, maxConnections, metrics, SourceIp.DEFAULT, proxyProtocol);
            for (PortSpec port : ports) {
                int nodePort = nodePortType ? port.nodePort() : 0;
                TreeSet<Frontend> frontends = new TreeSet<>();
                for (InetAddress ip : clusterIps.get(family)) {
                    frontends.add(new Frontend(FrontendType.CLUSTER_IP, ip, port.port()));
                }
                if (nodePort != 0) {
                    frontends.add(new Frontend(FrontendType.NODE_PORT, null, nodePort));
                }
                if (!familyRanges.failClosed()) {
                    for (InetAddress ip : vips.get(family)) {
                        frontends.add(new Frontend(FrontendType.LOAD_BALANCER, ip, port.port()));
                    }
                }
                for (InetAddress ip : externalIps.get(family)) {
                    frontends.add(new Frontend(FrontendType.EXTERNAL_IP, ip, port.port()));
                }
                boolean accessible = nodePort != 0 || !vips.get(family).isEmpty() || !externalIps.get(family).isEmpty();
                List<EndpointState> known = endpoints.forPort(family, port.name(), port.protocol().name());
                Categories categories = EndpointCategorizer.categorize(known, !internalLocal || accessible,
                        internalLocal || externalLocal && accessible, node.nodeName(), node.zone());
                List<Backend> internal = internalLocal ? categories.local() : categories.cluster();
                List<Backend> external = !accessible ? null : externalLocal ? categories.local() : categories.cluster();
                ServicePortKey key = new ServicePortKey(namespace, name, port.name(), port.protocol(), family);
                entries.add(new ServiceEntry(key, List.copyOf(frontends), internal, external, policy,
                        endpoints.localReadyEndpoints(family), known.size()));
            }
        }
        entries.sort((a, b) -> a.key().compareTo(b.key()));
        return entries;
    }

    /** {@code spec.clusterIPs}, or {@code spec.clusterIP} when that list is empty. */
    private static List<String> clusterIpTexts(ServiceSpec spec) {
        List<String> list = SliceEndpoints.nonNull(spec.getClusterIPs());
        if (!list.isEmpty()) {
            return list;
        }
        String single = spec.getClusterIP();
        return single == null || single.isEmpty() ? List.of() : List.of(single);
    }

    private static String type(ServiceSpec spec) {
        String type = spec.getType();
        return type == null || type.isEmpty() ? "ClusterIP" : type;
    }

    /** Ingress IPs traffic reaches this node with (VIP mode); Proxy-mode IPs are the LB's own. */
    private static Map<IpFamily, List<InetAddress>> loadBalancerVips(ServiceStatus status, Skips skips) {
        LoadBalancerStatus lb = status == null ? null : status.getLoadBalancer();
        List<String> ips = new ArrayList<>();
        for (LoadBalancerIngress ingress : SliceEndpoints.nonNull(lb == null ? null : lb.getIngress())) {
            if (ingress == null || ingress.getIp() == null || ingress.getIp().isEmpty()) {
                continue;
            }
            if (ingress.getIpMode() == null || "VIP".equals(ingress.getIpMode())) {
                ips.add(ingress.getIp());
            }
        }
        return Ips.byFamily(ips, skips);
    }

    private static int healthCheckNodePort(ServiceSpec spec, String type, boolean externalLocal, Skips skips) {
        Integer port = spec.getHealthCheckNodePort();
        if (!"LoadBalancer".equals(type) || !externalLocal || port == null || port == 0) {
            return 0;
        }
        if (!ServicePorts.valid(port)) {
            skips.service("invalid-port");
            return 0;
        }
        return port;
    }
}
