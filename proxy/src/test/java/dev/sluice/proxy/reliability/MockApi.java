package dev.sluice.proxy.reliability;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.LoggerFactory;

/**
 * The fabric8 mock API server in CRUD mode, started by hand so a test can stop it and start it
 * again on the same port with the state it held (the state lives in the dispatcher). Once
 * {@link #expireWatches()} is called, the first watch of each resource afterwards gets 410 Gone
 * in its stream, as a real API server answers a watch resuming from a version it no longer
 * has: the informer relists, and sees deletes made while it was away (the plain CRUD mock keeps
 * no history and would only re-send ADDED).
 */
final class MockApi implements AutoCloseable {
    static final String NAMESPACE = "shop";
    static final String NODE = "node-a";

    private final ExpiringWatches dispatcher = new ExpiringWatches();
    private final List<KubernetesClient> clients = new ArrayList<>();
    private KubernetesMockServer server;
    private boolean running;
    private int port;

    /** A CRUD API server on a free loopback port, holding this test's Node. */
    static MockApi start() {
        MockApi api = new MockApi();
        api.startOn(0);
        api.client().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        return api;
    }

    /** Starts a server on {@code requestedPort} (0 for any) with this API's state. */
    void startOn(int requestedPort) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), requestedPort);
        running = true;
        port = server.getPort();
    }

    void stop() {
        running = false;
        server.destroy();
    }

    int port() {
        return port;
    }

    /** From now on, the first watch of each resource is answered with 410 Gone. */
    void expireWatches() {
        dispatcher.expire = true;
    }

    /** A client of whatever server listens on this API's port now, for the test's own writes. */
    KubernetesClient client() {
        KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + port + "/")
                .withNamespace(NAMESPACE)
                .withRequestRetryBackoffLimit(1)
                .build()).build();
        clients.add(client);
        return client;
    }

    /** A kubeconfig file naming this API server, as the proxy reads it. */
    Path kubeconfig(Path dir) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters: [{name: mock, cluster: {server: \"http://127.0.0.1:" + port + "\"}}]",
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
        clients.forEach(KubernetesClient::close);
        if (running) {
            try {
                stop();
            } catch (IllegalStateException e) {
                // Vert.x gives the server 10 s to close; a loaded machine may take longer. The
                // port goes with the JVM either way.
                LoggerFactory.getLogger(MockApi.class).warn("mock API server did not close: {}", e.toString());
            }
        }
    }

    private static final class ExpiringWatches extends KubernetesCrudDispatcher {
        private final Set<String> expired = ConcurrentHashMap.newKeySet();
        private volatile boolean expire;

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            if (expire && path.contains("watch=true") && expired.add(path.substring(0, path.indexOf('?')))) {
                return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                    @Override
                    public void onOpen(WebSocket webSocket, Response response) {
                        webSocket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                                + "\"status\":\"Failure\",\"reason\":\"Expired\",\"code\":410,"
                                + "\"message\":\"too old resource version\"}}");
                    }
                });
            }
            return super.dispatch(request);
        }
    }
}
