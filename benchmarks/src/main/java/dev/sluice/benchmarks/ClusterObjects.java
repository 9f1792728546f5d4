package dev.sluice.benchmarks;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes objects as an informer hands them over: ClusterIP Services in namespace
 * {@value Fixtures#NAMESPACE}, each with one EndpointSlice of ready endpoints spread over three
 * nodes. Addresses follow {@link Fixtures}: ClusterIPs from 198.18.0.0/16, pod IPs from
 * 198.19.0.0/16 (pod index beyond 65,536 wraps; distinct services never share a slice, so the
 * table stays correct).
 */
final class ClusterObjects {
    static final String NODE = "node-0";
    private static final String[] NODES = {"node-0", "node-1", "node-2"};

    private ClusterObjects() {
    }

    /** Service {@code svc-i}: ClusterIP, port {@code http} 80 to the pods' port {@code http}. */
    static Service service(int i) {
        String clusterIp = "198.18." + (i >>> 8 & 255) + "." + (i & 255);
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(Fixtures.NAMESPACE).withName("svc-" + i)
                .withResourceVersion("1").endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .withIpFamilies("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(80)
                .withTargetPort(new IntOrString("http")).endPort()
                .endSpec()
                .build();
    }

    /** The one slice of {@code svc-i}: {@code endpoints} ready pods listening on 8080. */
    static EndpointSlice slice(int i, int endpoints) {
        return slice(i, endpoints, 0);
    }

    /**
     * The slice of {@code svc-i} at {@code revision} (resource version {@code revision + 1}): from
     * revision 1 on, the last pod's address is 198.18.255.{@code revision}, which no ClusterIP and
     * no other pod uses, so two revisions differ in exactly one endpoint, as after a pod was
     * replaced. Revision 0 is {@link #slice(int, int)}.
     */
    static EndpointSlice slice(int i, int endpoints, int revision) {
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> list = new ArrayList<>(endpoints);
        for (int e = 0; e < endpoints; e++) {
            int pod = (i * endpoints + e) & 0xffff;
            String address = revision > 0 && e == endpoints - 1
                    ? "198.18.255." + revision
                    : "198.19." + (pod >>> 8) + "." + (pod & 255);
            list.add(new EndpointBuilder()
                    .withAddresses(address)
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .withNodeName(NODES[e % NODES.length])
                    .build());
        }
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(Fixtures.NAMESPACE).withName("svc-" + i + "-x1")
                .withLabels(Map.of("kubernetes.io/service-name", "svc-" + i))
                .withResourceVersion(Integer.toString(revision + 1)).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(8080).endPort()
                .withEndpoints(list)
                .build();
    }
}
