package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.BACKEND_IPS;
import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static dev.sluice.proxy.e2e.Topology.POD_IP;
import static dev.sluice.proxy.e2e.Topology.POD_IP_2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.iface.NetworkNamespace;
import io.fabric8.kubernetes.api.model.ClientIPConfigBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real {@code sluice.jar}, run as on a node, serving Services to a client in another
 * network namespace: ClusterIPs and LoadBalancer IPs reach the node by routing and are local
 * there because Sluice holds them on its interface; endpoints live in a third namespace. The API
 * server is the fabric8 CRUD mock in the test's own namespace. Needs root (network namespaces);
 * skipped, with the reason, without.
 *
 * <p>Every Service has its own ClusterIP so the tests are independent of one another; they
 * share one Sluice process, started once, because that is what a node runs.
 */
class ClusterFrontendsIT {
    private static final Duration SERVING = Duration.ofSeconds(40);
    private static final List<String> NAMES = List.of("be-1", "be-2", "be-3");

    private static Topology topology;
    private static Cluster cluster;
    private static ChildProcess backends;
    private static ChildProcess pod;
    private static ChildProcess sluice;

    @BeforeAll
    static void startNode() throws Exception {
        String unavailable = NetworkNamespace.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar"));
        assertThat(jar).as("the jar built by package (system property sluice.jar)").isRegularFile();
        Path work = Files.createDirectories(Path.of("target", "e2e", "frontends-" + NetworkNamespace.suffix()))
                .toAbsolutePath();

        topology = Topology.create();
        cluster = Cluster.start(topology.apiServerIp());
        Path kubeconfig = cluster.writeKubeconfig(work);

        List<String> servers = new ArrayList<>();
        for (int i = 0; i < BACKEND_IPS.size(); i++) {
            servers.add(BACKEND_IPS.get(i) + ":" + Cluster.TARGET_PORT + "=" + NAMES.get(i));
        }
        backends = ChildProcess.start("backends", javaIn(topology.backends(), NameServer.class, servers),
                work.resolve("backends.log"), false);
        assertThat(backends.readLine(30)).isEqualTo("ready");
        pod = ChildProcess.start("pod", javaIn(topology.pod(), PodClient.class, List.of()), work.resolve("pod.log"), false);
        assertThat(pod.readLine(30)).isEqualTo("ready");
        // Pre-flight, so that a broken topology is never blamed on Sluice.
        assertThat(topology.node().exec("bash", "-c", "exec 3<>/dev/tcp/" + BACKEND_IPS.get(0) + "/" + Cluster.TARGET_PORT
                + "; head -1 <&3")).as("the node reaches the endpoints").isEqualTo(NAMES.get(0) + "\n");
        assertThat(ask("GET " + POD_IP_2 + " " + NODE_IP + " 9")).as("the pod reaches the node")
                .contains("Connection refused");

        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", topology.node().name(), java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toAbsolutePath().toString(),
                "run",
                "--kubeconfig", kubeconfig.toAbsolutePath().toString(),
                "--hostname-override", Cluster.NODE,
                "--cluster-ip-interface", "sluice0",
                "--nodeport-addresses", NODE_IP + "/32",
                "--healthz-bind-address", NODE_IP + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249"));
        sluice = ChildProcess.start("sluice", command, work.resolve("sluice.log"), true);
    }

    @AfterAll
    static void stopNode() {
        // Each step runs even when an earlier one fails, so nothing the test made outlives it.
        try {
            close(sluice);
            close(pod);
            close(backends);
            close(cluster);
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @Test
    void aClusterIpRoundRobinsAcrossEndpointsForAPodOnAnotherHost() throws Exception {
        cluster.createService("web", "198.18.100.10", spec -> spec);
        cluster.setEndpoints("web", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.10", 80);

        Map<String, Integer> hits = hits(POD_IP, "198.18.100.10", 80, 9);

        // One cursor per service port: consecutive connections take the endpoints in turn.
        assertThat(hits).isEqualTo(Map.of("be-1", 3, "be-2", 3, "be-3", 3));
    }

    @Test
    void aNodePortAnswersOnTheNodeAddress() throws Exception {
        cluster.createService("np", "198.18.100.20", spec -> spec.withType("NodePort")
                .editFirstPort().withNodePort(30080).endPort());
        cluster.setEndpoints("np", BACKEND_IPS);

        awaitServing(POD_IP, NODE_IP, 30080);
        assertThat(ask("GET " + POD_IP_2 + " " + NODE_IP + " 30080")).matches("OK be-[123]");
    }

    @Test
    void aLoadBalancerIpAdmitsOnlyClientsInItsSourceRanges() throws Exception {
        cluster.createService("lb", "198.18.100.30", spec -> spec.withType("LoadBalancer")
                .editFirstPort().withNodePort(30081).endPort()
                .withLoadBalancerSourceRanges(POD_IP + "/32"));
        cluster.setLoadBalancerIngress("lb", "198.18.200.30");
        cluster.setEndpoints("lb", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.200.30", 80);

        assertThat(ask("GET " + POD_IP + " 198.18.200.30 80")).matches("OK be-[123]");
        assertThat(ask("GET " + POD_IP_2 + " 198.18.200.30 80")).startsWith("FAIL");
        // Source ranges guard the LoadBalancer IP only, as in kube-proxy: not the NodePort or ClusterIP.
        assertThat(ask("GET " + POD_IP_2 + " " + NODE_IP + " 30081")).matches("OK be-[123]");
        assertThat(ask("GET " + POD_IP_2 + " 198.18.100.30 80")).matches("OK be-[123]");
    }

    @Test
    void clientIpAffinityPinsEachClientAddressToOneEndpoint() throws Exception {
        cluster.createService("sticky", "198.18.100.40", spec -> spec.withSessionAffinity("ClientIP")
                .withNewSessionAffinityConfig().withClientIP(new ClientIPConfigBuilder().withTimeoutSeconds(600).build())
                .endSessionAffinityConfig());
        cluster.setEndpoints("sticky", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.40", 80);

        assertThat(hits(POD_IP, "198.18.100.40", 80, 6)).hasSize(1).containsValue(6);
        assertThat(hits(POD_IP_2, "198.18.100.40", 80, 6)).hasSize(1).containsValue(6);
    }

    @Test
    void aRemovedEndpointGetsNoNewConnectionsWhileAnEstablishedOneKeepsStreaming() throws Exception {
        cluster.createService("drain", "198.18.100.50", spec -> spec);
        cluster.setEndpoints("drain", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.50", 80);
        String opened = ask("OPEN c1 " + POD_IP + " 198.18.100.50 80");
        assertThat(opened).matches("OK be-[123]");
        String pinned = opened.substring(3);
        List<String> remaining = new ArrayList<>(BACKEND_IPS);
        remaining.remove(NAMES.indexOf(pinned));

        cluster.setEndpoints("drain", remaining);
        assertThat(cluster.endpoints("drain")).containsExactlyElementsOf(remaining);

        awaitSluice().untilAsserted(() -> {
            assertThat(hits(POD_IP, "198.18.100.50", 80, 6)).doesNotContainKey(pinned).hasSize(2);
        });
        assertThat(ask("SEND c1 still streaming")).isEqualTo("OK " + pinned + " still streaming");
        assertThat(ask("SEND c1 and again")).isEqualTo("OK " + pinned + " and again");
        assertThat(ask("CLOSE c1")).isEqualTo("OK");
    }

    @Test
    void theAddressesOfADeletedServiceLeaveTheInterface() throws Exception {
        cluster.createService("gone", "198.18.100.60", spec -> spec.withType("LoadBalancer")
                .editFirstPort().withNodePort(30082).endPort());
        cluster.setLoadBalancerIngress("gone", "198.18.200.60");
        cluster.setEndpoints("gone", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.200.60", 80);
        assertThat(nodeAddresses()).contains("198.18.100.60/32", "198.18.200.60/32");

        cluster.deleteService("gone");

        awaitSluice().untilAsserted(() -> {
            assertThat(nodeAddresses()).doesNotContain("198.18.100.60", "198.18.200.60");
        });
        assertThat(ask("GET " + POD_IP + " 198.18.100.60 80")).startsWith("FAIL");
    }

    private static String nodeAddresses() {
        return topology.node().ip("-o", "addr", "show");
    }

    private static void awaitServing(String source, String ip, int port) {
        awaitSluice().pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(ask("GET " + source + " " + ip + " " + port)).matches("OK be-[123]");
        });
    }

    private static Map<String, Integer> hits(String source, String ip, int port, int connections) throws Exception {
        Map<String, Integer> hits = new HashMap<>();
        for (int i = 0; i < connections; i++) {
            String answer = ask("GET " + source + " " + ip + " " + port);
            assertThat(answer).matches("OK be-[123]");
            hits.merge(answer.substring(3), 1, Integer::sum);
        }
        return hits;
    }

    private static String ask(String command) throws IOException, InterruptedException {
        return pod.ask(command);
    }

    /** Waits while Sluice runs; if it exits, fails at once with the end of its log. */
    private static ConditionFactory awaitSluice() {
        return await().atMost(SERVING).failFast("sluice exited",
                () -> assertThat(sluice.isAlive()).as(() -> "sluice is running; its log ends:\n" + sluice.tail()).isTrue());
    }

    static List<String> javaIn(NetworkNamespace ns, Class<?> main, List<String> args) throws Exception {
        // The helpers use only the JDK, so the test-classes directory is their whole class path.
        String classes = Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), java(),
                "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classes, main.getName()));
        command.addAll(args);
        return command;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static void close(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            System.err.println("cleanup: " + closeable + ": " + e);
        }
    }
}
