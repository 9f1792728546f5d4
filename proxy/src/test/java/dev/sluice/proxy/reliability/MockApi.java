package dev.sluice.proxy.reliability;

import dev.sluice.discovery.kubernetes.ExpiringWatches;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fabric8 mock API server in CRUD mode (discovery's test {@code MockApi}), holding this
 * test's Node, with the shapes the reliability tests write. The server can be stopped and
 * started again on the same port with the state it held; once {@link #expireWatches()} is
 * called, the first watch of each resource is answered with 410 Gone and the informer relists
 * ({@link ExpiringWatches}).
 */
final class MockApi implements AutoCloseable {
    static final String NAMESPACE = "shop";
    static final String NODE = "node-a";

    private final ExpiringWatches dispatcher = new ExpiringWatches();
    private final dev.sluice.discovery.kubernetes.MockApi api =
            dev.sluice.discovery.kubernetes.MockApi.serving(dispatcher);

    /** A CRUD API server on a free loopback port, holding this test's Node. */
    static MockApi start() {
        MockApi api = new MockApi();
        api.client().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        return api;
    }

    /** Starts a server on {@code requestedPort} (0 for any) with this API's state. */
    void startOn(int requestedPort) {
        api.startOn(requestedPort);
    }

    void stop() {
        api.stop();
    }

    int port() {
        return api.port();
    }

    /** From now on, the first watch of each resource is answered with 410 Gone. */
    void expireWatches() {
        dispatcher.expire();
    }

    /** A client of whatever server listens on this API's port now, for the test's own writes. */
    KubernetesClient client() {
        return api.client(NAMESPACE);
    }

    /** A kubeconfig file naming this API server, as the proxy reads it. */
    Path kubeconfig(Path dir) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters: [{name: mock, cluster: {server: \"http://127.0.0.1:" + port() + "\"}}]",
                "users: [{name: mock, user: {token: test}}]",
                "contexts: [{name: mock, context: {cluster: mock, user: mock, namespace: default}}]",
                "current-context: mock", ""));
        return file;
    }

    /** A NodePort Service with one TCP port. */
    static Service nodePortService(String name, String clusterIp, int nodePort) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
                .withNewSpec().withType("NodePort").withClusterIP(clusterIp).withClusterIPs(clusterIp)
                .addNewPort().withPort(80).withProtocol("TCP").withNodePort(nodePort).endPort()
                .endSpec().build();
    }

    /** An EndpointSlice of {@code service} named {@code name}, with ready endpoints on another node. */
    static EndpointSlice slice(String service, String name, int port, List<String> ips) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(name)
                .withLabels(Map.of("kubernetes.io/service-name", service)).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("").withPort(port).withProtocol("TCP").endPort();
        for (String ip : ips) {
            slice.addToEndpoints(new EndpointBuilder().withAddresses(ip)
                    .withNewConditions().withReady(true).endConditions().withNodeName("node-b").build());
        }
        return slice.build();
    }

    @Override
    public void close() {
        api.close();
    }
}
