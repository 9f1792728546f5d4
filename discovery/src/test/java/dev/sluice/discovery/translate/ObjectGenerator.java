package dev.sluice.discovery.translate;

import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Generates valid Services with their EndpointSlices from a seeded {@link Random}: every field
 * kube-proxy reads is exercised (both families, all types, traffic policies, hints, conditions,
 * ingress modes), within what the API server accepts. Addresses come from 198.18.0.0/15 and
 * 2001:db8::/32.
 */
final class ObjectGenerator {
    static final String[] NODES = {"node-a", "node-b", "node-c", null};
    static final String[] ZONES = {"zone-a", "zone-b"};

    private final Random random;

    ObjectGenerator(Random random) {
        this.random = random;
    }

    /** A valid Service with its slices. */
    record Generated(Service service, List<EndpointSlice> slices) {
    }

    Generated service(String namespace, String name) {
        boolean v4 = random.nextInt(3) != 0;
        boolean v6 = !v4 || random.nextInt(3) == 0;
        List<String> clusterIps = new ArrayList<>();
        if (v4) {
            clusterIps.add(ipv4(0));
        }
        if (v6) {
            clusterIps.add(ipv6(0));
        }
        if (random.nextBoolean()) {
            Collections.reverse(clusterIps);
        }
        String type = pick("ClusterIP", "NodePort", "LoadBalancer", null);
        ServiceSpec spec = new ServiceSpec();
        spec.setType(type);
        spec.setClusterIP(clusterIps.get(0));
        spec.setClusterIPs(random.nextInt(5) == 0 ? null : clusterIps);
        boolean nodePorts = "NodePort".equals(type) || "LoadBalancer".equals(type);
        List<ServicePort> ports = new ArrayList<>();
        int count = 1 + random.nextInt(4);
        for (int i = 0; i < count; i++) {
            ServicePort port = new ServicePort();
            port.setName(count == 1 && random.nextBoolean() ? null : "p" + i);
            port.setProtocol(pick("TCP", "UDP", null));
            port.setPort(1 + random.nextInt(65535));
            port.setNodePort(nodePorts && random.nextInt(4) != 0 ? 30000 + random.nextInt(2768) : null);
            port.setTargetPort(new IntOrString(1 + random.nextInt(65535)));
            ports.add(port);
        }
        spec.setPorts(ports);
        if (random.nextInt(3) == 0) {
            spec.setExternalIPs(new ArrayList<>(List.of(random.nextBoolean() ? ipv4(1) : ipv6(1))));
        }
        spec.setInternalTrafficPolicy(pick("Cluster", "Local", null));
        spec.setExternalTrafficPolicy(nodePorts ? pick("Cluster", "Local", null) : null);
        if ("LoadBalancer".equals(type) && "Local".equals(spec.getExternalTrafficPolicy())) {
            spec.setHealthCheckNodePort(30000 + random.nextInt(2768));
        }
        if (random.nextInt(4) == 0) {
            spec.setSessionAffinity("ClientIP");
            spec.setSessionAffinityConfig(new SessionAffinityConfig(new ClientIPConfig(1 + random.nextInt(86400))));
        }
        if (random.nextInt(4) == 0) {
            spec.setLoadBalancerSourceRanges(new ArrayList<>(List.of(pick("198.19.0.0/16", "2001:db8:1::/48",
                    "0.0.0.0/0", "198.18.7.0/24"))));
        }
        Service service = new Service();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(namespace);
        meta.setName(name);
        service.setMetadata(meta);
        service.setSpec(spec);
        if ("LoadBalancer".equals(type) && random.nextBoolean()) {
            LoadBalancerIngress ingress = new LoadBalancerIngress();
            ingress.setIp(random.nextBoolean() ? ipv4(1) : ipv6(1));
            ingress.setIpMode(pick("VIP", "Proxy", null));
            ServiceStatus status = new ServiceStatus();
            status.setLoadBalancer(new LoadBalancerStatus(new ArrayList<>(List.of(ingress))));
            service.setStatus(status);
        }
        List<EndpointSlice> slices = new ArrayList<>();
        int sliceCount = random.nextInt(4);
        for (int i = 0; i < sliceCount; i++) {
            slices.add(slice(namespace, name, name + "-" + i, ports, random.nextBoolean() ? "IPv4" : "IPv6"));
        }
        return new Generated(service, slices);
    }

    EndpointSlice slice(String namespace, String service, String name, List<ServicePort> servicePorts,
            String addressType) {
        EndpointSlice slice = K8s.emptySlice(namespace, service, name, addressType);
        List<EndpointPort> ports = new ArrayList<>();
        for (ServicePort servicePort : servicePorts) {
            if (random.nextInt(5) != 0) {
                EndpointPort port = new EndpointPort();
                port.setName(servicePort.getName());
                port.setProtocol(servicePort.getProtocol());
                port.setPort(1 + random.nextInt(65535));
                ports.add(port);
            }
        }
        slice.setPorts(ports);
        int size = random.nextInt(200) == 0 ? 1000 : random.nextInt(6);
        List<Endpoint> endpoints = new ArrayList<>();
        boolean zoneHints = random.nextBoolean();
        boolean nodeHints = random.nextInt(3) == 0;
        for (int i = 0; i < size; i++) {
            endpoints.add(endpoint("IPv4".equals(addressType) ? ipv4(2) : ipv6(2), zoneHints, nodeHints));
        }
        slice.setEndpoints(endpoints);
        return slice;
    }

    Endpoint endpoint(String ip, boolean zoneHints, boolean nodeHints) {
        Endpoint endpoint = new Endpoint();
        endpoint.setAddresses(new ArrayList<>(List.of(ip)));
        endpoint.setNodeName(NODES[random.nextInt(NODES.length)]);
        if (random.nextInt(4) != 0) {
            EndpointConditions conditions = new EndpointConditions();
            conditions.setReady(pick(true, false, null));
            conditions.setServing(pick(true, false, null));
            conditions.setTerminating(pick(true, false, null));
            endpoint.setConditions(conditions);
        }
        if (zoneHints || nodeHints) {
            EndpointHints hints = new EndpointHints();
            if (zoneHints) {
                hints.setForZones(new ArrayList<>(List.of(new ForZone(ZONES[random.nextInt(ZONES.length)]))));
            }
            if (nodeHints) {
                hints.setForNodes(new ArrayList<>(List.of(new ForNode(NODES[random.nextInt(NODES.length - 1)]))));
            }
            endpoint.setHints(hints);
        }
        return endpoint;
    }

    /** An IPv4 address in 198.18.0.0/15; the tag keeps kinds of address apart. */
    String ipv4(int tag) {
        return "198." + (18 + tag % 2) + "." + (tag * 16 + random.nextInt(16)) + "." + (1 + random.nextInt(254));
    }

    String ipv6(int tag) {
        return "2001:db8:" + tag + "::" + Integer.toHexString(1 + random.nextInt(0xfffe));
    }

    @SafeVarargs
    final <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }
}
