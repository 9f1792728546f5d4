package dev.sluice.discovery.translate;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Small builders for the Kubernetes objects translation tests feed in. */
final class K8s {
    static final String NAMESPACE = "default";

    private K8s() {
    }

    /** A ClusterIP Service {@code default/name} with one TCP port {@code http} 80 -> named target. */
    static ServiceBuilder service(String name, String... clusterIps) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIps.length == 0 ? null : clusterIps[0])
                .withClusterIPs(clusterIps)
                .withPorts(port("http", "TCP", 80, 0))
                .endSpec();
    }

    static ServicePort port(String name, String protocol, Integer port, Integer nodePort) {
        ServicePort p = new ServicePort();
        p.setName(name);
        p.setProtocol(protocol);
        p.setPort(port);
        p.setNodePort(nodePort);
        p.setTargetPort(new IntOrString(name == null ? "8080" : name));
        return p;
    }

    /** A slice of {@code default/service} with one port. */
    static EndpointSlice slice(String service, String name, String addressType, EndpointPort port,
            Endpoint... endpoints) {
        EndpointSlice slice = emptySlice(NAMESPACE, service, name, addressType);
        slice.setPorts(new ArrayList<>(List.of(port)));
        slice.setEndpoints(new ArrayList<>(Arrays.asList(endpoints)));
        return slice;
    }

    /** A slice of {@code namespace/service} named {@code name}, without ports or endpoints. */
    static EndpointSlice emptySlice(String namespace, String service, String name, String addressType) {
        EndpointSlice slice = new EndpointSlice();
        ObjectMeta meta = new ObjectMeta();
        meta.setNamespace(namespace);
        meta.setName(name);
        Map<String, String> labels = new HashMap<>();
        labels.put(SliceEndpoints.SERVICE_NAME_LABEL, service);
        meta.setLabels(labels);
        slice.setMetadata(meta);
        slice.setAddressType(addressType);
        return slice;
    }

    static EndpointPort slicePort(String name, String protocol, Integer port) {
        EndpointPort p = new EndpointPort();
        p.setName(name);
        p.setProtocol(protocol);
        p.setPort(port);
        return p;
    }

    /** An endpoint with unset conditions (so ready and serving) on a node. */
    static Endpoint endpoint(String ip, String node) {
        Endpoint e = new Endpoint();
        e.setAddresses(new ArrayList<>(List.of(ip)));
        e.setNodeName(node);
        return e;
    }

    static Endpoint endpoint(String ip, String node, Boolean ready, Boolean serving, Boolean terminating) {
        Endpoint e = endpoint(ip, node);
        EndpointConditions conditions = new EndpointConditions();
        conditions.setReady(ready);
        conditions.setServing(serving);
        conditions.setTerminating(terminating);
        e.setConditions(conditions);
        return e;
    }

    static Endpoint hinted(Endpoint e, List<String> zones, List<String> nodes) {
        EndpointHints hints = new EndpointHints();
        hints.setForZones(zones.stream().map(z -> new ForZone(z)).toList());
        hints.setForNodes(nodes.stream().map(n -> new ForNode(n)).toList());
        e.setHints(hints);
        return e;
    }
}
