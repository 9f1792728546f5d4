package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole proxy in Kubernetes mode against the fabric8 mock API server in CRUD mode: NodePort
 * Services whose endpoints are loopback addresses, served on 127.0.0.1 by the real data path.
 */
class KubernetesProxyTest {
    private static final String NAMESPACE = "shop";
    private static final String NODE = "node-a";

    @TempDir
    Path dir;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private NamedServers backends;
    private ProxyProcess process;
    private int backendPort;

    @BeforeEach
    void setUp() throws IOException {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        backendPort = NamedServers.freePort();
        backends = NamedServers.open(backendPort, "127.0.0.11", "127.0.0.12", "127.0.0.13");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (process != null) {
            process.close();
        }
        backends.close();
        client.close();
        server.destroy();
    }

    @Test
    void nodePortRoundRobinsFollowsScalingClosesOnDeleteAndSurvivesTheApiServer() throws Exception {
        int webPort = NamedServers.freePort();
        int apiPort = NamedServers.freePort();
        create(nodePortService("web", "198.18.0.10", webPort));
        create(slice("web", "127.0.0.11", "127.0.0.12", "127.0.0.13"));
        create(nodePortService("api", "198.18.0.11", apiPort));
        create(slice("api", "127.0.0.13"));

        process = ProxyProcess.start(flags(), ServeMode.kubernetes(kubeconfig(), NODE));
        InetSocketAddress web = new InetSocketAddress("127.0.0.1", webPort);

        // Round robin over the three endpoints: 30 connections, 10 each.
        assertThat(countAnswers(web, 30)).containsExactlyInAnyOrderEntriesOf(
                Map.of("127.0.0.11", 10, "127.0.0.12", 10, "127.0.0.13", 10));

        // Scaled to two endpoints: new connections go only to those two.
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice("web", "127.0.0.11", "127.0.0.12"))
                .update();
        await().atMost(Duration.ofSeconds(10)).until(() -> process.table().entries().stream()
                .filter(e -> e.key().name().equals("web")).allMatch(e -> e.internalEndpoints().size() == 2));
        assertThat(countAnswers(web, 20)).containsOnlyKeys("127.0.0.11", "127.0.0.12");

        // Service deleted: its NodePort listener closes.
        client.services().inNamespace(NAMESPACE).withName("web").delete();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThatThrownBy(() -> NamedServers.ask(web)).isInstanceOf(ConnectException.class));

        // API server gone: the data path keeps forwarding on the last table.
        client.close();
        server.destroy();
        InetSocketAddress api = new InetSocketAddress("127.0.0.1", apiPort);
        assertThat(countAnswers(api, 5)).containsExactlyEntriesOf(Map.of("127.0.0.13", 5));
    }

    @Test
    void healthIs503UntilTheFirstSyncAndStays200ThroughAnApiServerOutage() throws Exception {
        // The API server is not up yet when the proxy starts: the client retries its first list.
        int apiServerPort = server.getPort();
        client.close();
        server.destroy();
        int webPort = NamedServers.freePort();
        Path kubeconfig = kubeconfig(apiServerPort);
        CompletableFuture<ProxyProcess> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return ProxyProcess.start(flags("--healthz-bind-address=127.0.0.1:" + NamedServers.freePort(),
                        "--health-timeout=1s"), ServeMode.kubernetes(kubeconfig, NODE));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> healthPort() != 0);
        // The port is known once the flags are parsed; the health server binds a moment later, on the start-up thread.
        int firstAnswer = await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(ConnectException.class)
                .until(this::livez, status -> true);
        assertThat(firstAnswer).isEqualTo(503);
        assertThat(starting).isNotDone();

        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), apiServerPort);
        client = server.createClient();
        create(nodePortService("web", "198.18.0.10", webPort));
        create(slice("web", "127.0.0.11"));
        process = starting.get(30, TimeUnit.SECONDS);
        assertThat(livez()).isEqualTo(200);
        assertThat(NamedServers.ask(new InetSocketAddress("127.0.0.1", webPort))).isEqualTo("127.0.0.11");

        // Nothing is queued while the API server is away, so the proxy stays healthy past the
        // health timeout and keeps serving, as kube-proxy does.
        client.close();
        server.destroy();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> livez() == 200);
        assertThat(NamedServers.ask(new InetSocketAddress("127.0.0.1", webPort))).isEqualTo("127.0.0.11");
    }

    private final AtomicInteger healthPort = new AtomicInteger();

    private int healthPort() {
        return healthPort.get();
    }

    private int livez() throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + healthPort() + "/livez")).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }

    private ProxyFlags flags(String... extra) {
        ProxyFlags flags = new ProxyFlags();
        List<String> args = new java.util.ArrayList<>(List.of("--nodeport-addresses=127.0.0.1/32",
                "--healthz-bind-address=", "--metrics-bind-address=", "--sync-timeout=20s"));
        args.addAll(List.of(extra));
        new CommandLine(flags).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(String[]::new));
        for (String arg : extra) {
            if (arg.startsWith("--healthz-bind-address=127.0.0.1:")) {
                healthPort.set(Integer.parseInt(arg.substring(arg.lastIndexOf(':') + 1)));
            }
        }
        return flags;
    }

    private Path kubeconfig() throws IOException {
        return kubeconfig(server.getPort());
    }

    private Path kubeconfig(int port) throws IOException {
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

    private static Map<String, Integer> countAnswers(InetSocketAddress address, int connections) throws IOException {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < connections; i++) {
            counts.merge(NamedServers.ask(address), 1, Integer::sum);
        }
        return counts;
    }

    private void create(Service service) {
        client.services().inNamespace(NAMESPACE).resource(service).create();
    }

    private void create(EndpointSlice slice) {
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice).create();
    }

    private static Service nodePortService(String name, String clusterIp, int nodePort) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(name).endMetadata()
                .withNewSpec().withType("NodePort").withClusterIP(clusterIp).withClusterIPs(clusterIp)
                .addNewPort().withPort(80).withProtocol("TCP").withNodePort(nodePort).endPort()
                .endSpec().build();
    }

    private EndpointSlice slice(String service, String... ips) {
        EndpointSliceBuilder slice = new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(NAMESPACE).withName(service + "-abc")
                .withLabels(Map.of("kubernetes.io/service-name", service)).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("").withPort(backendPort).withProtocol("TCP").endPort();
        for (String ip : List.of(ips)) {
            slice.addToEndpoints(new EndpointBuilder().withAddresses(ip)
                    .withNewConditions().withReady(true).endConditions().withNodeName("node-b").build());
        }
        return slice.build();
    }
}
