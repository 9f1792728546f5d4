package dev.sluice.proxy.e2e;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpecBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The fabric8 mock API server in CRUD mode, bound to one address of the test's namespace so
 * that Sluice in the node namespace reaches it over a veth, plus the objects the tests create.
 * Services are written as the API server would store them: ClusterIPs, node ports and
 * LoadBalancer status filled in by the test, EndpointSlices labelled with their Service.
 */
final class Cluster implements AutoCloseable {
    static final String NAMESPACE = "e2e";
    static final String NODE = "node-a";
    static final int TARGET_PORT = 8080;

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    private final String url;

    private Cluster(KubernetesMockServer server, String url) {
        this.server = server;
        this.url = url;
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url).withNamespace(NAMESPACE).build();
        this.client = new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Starts the server on {@code ip} (an IP literal) at a free port, with this node registered. */
    static Cluster start(String ip) throws IOException {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        server.init(InetAddress.getByAddress(literal(ip)), 0);
        Cluster cluster = new Cluster(server, "http://" + ip + ":" + server.getPort());
        cluster.client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        return cluster;
    }

    /** A kubeconfig for Sluice that points at this server. */
    Path writeKubeconfig(Path dir) throws IOException {
        String yaml = String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: mock",
                "  cluster:",
                "    server: " + url,
                "contexts:",
                "- name: mock",
                "  context:",
                "    cluster: mock",
                "    user: sluice",
                "current-context: mock",
                "users:",
                "- name: sluice",
                "  user:",
                "    token: e2e",
                "");
        return Files.writeString(dir.resolve("kubeconfig"), yaml);
    }

    /**
     * Creates a Service with one TCP port {@code http} (port 80 to target 8080) of the given
     * ClusterIP; {@code spec} adds type, node port, affinity, source ranges.
     */
    Service createService(String name, String clusterIp, UnaryOperator<ServiceSpecBuilder> spec) {
        ServiceSpecBuilder builder = new ServiceSpecBuilder()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .withIpFamilies("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(80)
                .withTargetPort(new IntOrString(TARGET_PORT)).endPort();
        Service service = new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
                .withSpec(spec.apply(builder).build())
                .build();
        return client.services().inNamespace(NAMESPACE).resource(service).create();
    }

    /** Sets {@code status.loadBalancer.ingress[0].ip}, as a cloud controller would. */
    void setLoadBalancerIngress(String name, String ip) {
        Service current = client.services().inNamespace(NAMESPACE).withName(name).get();
        Service withStatus = new ServiceBuilder(current)
                .withNewStatus().withNewLoadBalancer().addNewIngress().withIp(ip).endIngress().endLoadBalancer().endStatus()
                .build();
        client.services().inNamespace(NAMESPACE).resource(withStatus).updateStatus();
        Service stored = getService(name);
        if (stored.getStatus() == null || stored.getStatus().getLoadBalancer().getIngress().isEmpty()) {
            throw new IllegalStateException("service " + name + ": status.loadBalancer was not stored by the mock server");
        }
    }

    Service getService(String name) {
        return client.services().inNamespace(NAMESPACE).withName(name).get();
    }

    void deleteService(String name) {
        client.services().inNamespace(NAMESPACE).withName(name).delete();
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName(name + "-1").delete();
    }

    /** The IPs of the endpoints the Service's slice lists now. */
    List<String> endpoints(String service) {
        EndpointSlice slice = client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName(service + "-1").get();
        List<String> ips = new ArrayList<>();
        slice.getEndpoints().forEach(e -> ips.addAll(e.getAddresses()));
        return ips;
    }

    /** Creates or replaces the Service's one EndpointSlice, listing ready endpoints at these IPs. */
    void setEndpoints(String service, List<String> ips) {
        setEndpoints(service, ips, "TCP", "node-b");
    }

    /** As {@link #setEndpoints(String, List)}, for a port of {@code protocol} and endpoints on {@code nodeName}. */
    void setEndpoints(String service, List<String> ips, String protocol, String nodeName) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (String ip : ips) {
            endpoints.add(new EndpointBuilder().withAddresses(ip).withNodeName(nodeName)
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
                    .build());
        }
        EndpointSlice slice = new EndpointSliceBuilder()
                .withNewMetadata().withName(service + "-1").withNamespace(NAMESPACE)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol(protocol).withPort(TARGET_PORT).endPort()
                .withEndpoints(endpoints)
                .build();
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice)
                .createOr(NonDeletingOperation::update);
    }

    private static byte[] literal(String ip) {
        String[] parts = ip.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            server.destroy();
        }
    }
}
