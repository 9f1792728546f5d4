package dev.sluice.discovery.kubernetes;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServicePortKey;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Objects as a cluster would hold them, with addresses from 198.18.0.0/15. */
final class Cluster {
    static final String NAMESPACE = "shop";
    static final String NODE = "node-1";
    static final int TARGET_PORT = 8080;

    private Cluster() {
    }

    /** A ClusterIP Service with one unnamed TCP port 80. */
    static Service service(String name, String clusterIp) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(name)
                .withLabels(new HashMap<>()).withAnnotations(new HashMap<>()).endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .addNewPort().withPort(80).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }

    /** A slice of {@code service} with ready endpoints at these IPs, on port 8080. */
    static EndpointSlice slice(String service, String sliceName, String... ips) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String ip : ips) {
            endpoints.add(new EndpointBuilder().withAddresses(ip).withNewConditions().withReady(true).endConditions()
                    .withNodeName("node-2").build());
        }
        return slice(service, sliceName, endpoints);
    }

    static EndpointSlice slice(String service, String sliceName, List<Endpoint> endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(sliceName)
                .withLabels(new HashMap<>(Map.of("kubernetes.io/service-name", service)))
                .withAnnotations(new HashMap<>()).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("").withPort(TARGET_PORT).withProtocol("TCP").endPort()
                .withEndpoints(endpoints)
                .build();
    }

    /** A ready endpoint hinted for one zone. */
    static Endpoint zoned(String ip, String zone) {
        return new EndpointBuilder().withAddresses(ip).withNewConditions().withReady(true).endConditions()
                .withNodeName("node-2").withNewHints().addNewForZone(zone).endHints().build();
    }

    static Node node(String zone) {
        NodeBuilder builder = new NodeBuilder().withNewMetadata().withName(NODE).endMetadata();
        if (zone != null) {
            builder.editMetadata().addToLabels(KubernetesSource.ZONE_LABEL, zone).endMetadata();
        }
        return builder.build();
    }

    static ServicePortKey key(String service) {
        return new ServicePortKey(NAMESPACE, service, "", Protocol.TCP, IpFamily.IPv4);
    }

    static List<Backend> backends(String... ips) {
        List<Backend> backends = new ArrayList<>();
        for (String ip : ips) {
            backends.add(Backend.of(ip, TARGET_PORT));
        }
        return backends;
    }
}
