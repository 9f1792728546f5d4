package dev.sluice.discovery.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * The fabric8 mock API server, started by hand so a test can stop it and start another one on
 * the same port. The CRUD state lives in the dispatcher, so a restarted server keeps it. Shared
 * with the proxy's tests through this module's test jar.
 */
public final class MockApi implements AutoCloseable {
    private final Dispatcher dispatcher;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private KubernetesMockServer server;
    private boolean running;
    private int port;

    private MockApi(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** A CRUD-mode API server on a free loopback port. */
    public static MockApi crud() {
        return serving(new KubernetesCrudDispatcher());
    }

    /** An API server answering every request through {@code dispatcher}. */
    public static MockApi serving(Dispatcher dispatcher) {
        MockApi api = new MockApi(dispatcher);
        api.startOn(0);
        return api;
    }

    /** Starts a server on {@code port} (0 for any) with this API's dispatcher and state. */
    public void startOn(int requestedPort) {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), requestedPort);
        running = true;
        port = server.getPort();
    }

    public void stop() {
        running = false;
        server.destroy();
    }

    /** The paths of the requests received since the last call, oldest first. */
    public List<String> requestPaths() throws InterruptedException {
        List<String> paths = new ArrayList<>();
        for (RecordedRequest request = server.takeRequest(0, TimeUnit.MILLISECONDS); request != null;
                request = server.takeRequest(0, TimeUnit.MILLISECONDS)) {
            paths.add(request.getPath());
        }
        return paths;
    }

    public int port() {
        return port;
    }

    /**
     * A client for whatever server listens on this port now. It gives up a failed request after
     * one retry and re-watches quickly, so outages in a test last milliseconds, not seconds.
     */
    public KubernetesClient client() {
        return client("default");
    }

    /** The same, with {@code namespace} as the client's default namespace. Closed with this API. */
    public KubernetesClient client(String namespace) {
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config(port, namespace)).build();
        clients.add(client);
        return client;
    }

    static Config config(int port) {
        return config(port, "default");
    }

    private static Config config(int port, String namespace) {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl("http://127.0.0.1:" + port + "/")
                .withNamespace(namespace)
                .withRequestRetryBackoffLimit(1)
                .withRequestRetryBackoffInterval(50)
                .withWatchReconnectInterval(100)
                .withWatchReconnectLimit(-1)
                .build();
    }

    @Override
    public void close() {
        clients.forEach(KubernetesClient::close);
        if (running) {
            try {
                stop();
            } catch (IllegalStateException e) {
                // Vert.x gives the server 10 s to close; on a loaded machine that can pass after the
                // test itself succeeded. The port is released with the JVM either way.
                LoggerFactory.getLogger(MockApi.class).warn("mock API server on port {} did not close: {}", port, e.toString());
            }
        }
    }
}
