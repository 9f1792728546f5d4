package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.iface.IpCommand;
import dev.sluice.proxy.iface.NetworkNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /healthz} and {@code /livez} of the real kube-proxy and of Sluice, both running as
 * {@code node-a} against one real API server, each in its own node namespace: the same status
 * codes and the same body fields for the same states of the Node (present, being deleted).
 * Skipped without root, nft or the binaries of {@code test/k8s/build}.
 */
class HealthOracleIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SLUICE_IP = "198.18.3.2";
    /**
     * kube-proxy's {@code status} (one {@code lastUpdated} and {@code healthy} per IP family,
     * each family being its own proxier) has no counterpart in Sluice, which keeps one table for
     * both families; the README lists this difference.
     */
    private static final Set<String> ONLY_KUBE_PROXY = Set.of("status");

    private static Topology topology;
    private static NetworkNamespace sluiceNode;
    private static String rootLink;
    private static RealCluster cluster;
    private static ChildProcess sluice;

    @BeforeAll
    static void start() throws Exception {
        String unavailable = RealCluster.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        String noNft = RealCluster.kubeProxyUnavailableReason();
        Assumptions.assumeTrue(noNft == null, noNft);
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        assertThat(jar).isRegularFile();
        Path work = Files.createDirectories(Path.of("target", "e2e", "health-" + NetworkNamespace.suffix()))
                .toAbsolutePath();
        topology = Topology.create();
        cluster = RealCluster.start(work.resolve("k8s"), topology.apiServerIp());
        cluster.kubectlWithInput(RealClusterIT.nodes(), "apply", "-f", "-");
        cluster.startKubeProxy(topology.node().name(), "node-a", "--nodeport-addresses", NODE_IP + "/32");

        // Sluice's node: its own namespace, linked to the test's namespace for the API server.
        int base = ThreadLocalRandom.current().nextInt(0, 63) * 4;
        String rootSide = "198.18.4." + (base + 1);
        String nodeSide = "198.18.4." + (base + 2);
        sluiceNode = NetworkNamespace.create("slnode");
        rootLink = "sl-h-" + NetworkNamespace.suffix();
        IpCommand host = IpCommand.system();
        run(host, "link", "add", rootLink, "type", "veth", "peer", "name", "eth0", "netns", sluiceNode.name());
        run(host, "addr", "add", rootSide + "/30", "dev", rootLink);
        run(host, "link", "set", rootLink, "up");
        sluiceNode.ip("addr", "add", nodeSide + "/30", "dev", "eth0");
        sluiceNode.ip("addr", "add", SLUICE_IP + "/32", "dev", "lo");
        sluiceNode.ip("link", "set", "eth0", "up");
        sluiceNode.ip("route", "add", topology.apiServerIp() + "/32", "via", rootSide);

        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", sluiceNode.name(), ClusterFrontendsIT.java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "run",
                "--kubeconfig", cluster.kubeconfig().toString(),
                "--hostname-override", "node-a",
                "--nodeport-addresses", SLUICE_IP + "/32",
                "--healthz-bind-address", SLUICE_IP + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249"));
        sluice = ChildProcess.start("sluice", command, work.resolve("sluice.log"), true);
    }

    private static void run(IpCommand host, String... args) {
        IpCommand.Result result = host.run(List.of(args));
        if (!result.ok()) {
            throw new IllegalStateException("ip " + String.join(" ", args) + ": " + result.stderr().trim());
        }
    }

    @AfterAll
    static void stop() {
        try {
            ClusterFrontendsIT.close(sluice);
            ClusterFrontendsIT.close(cluster);
        } finally {
            if (sluiceNode != null) {
                sluiceNode.close();
            }
            if (topology != null) {
                topology.close();
            }
        }
    }

    @Test
    void bothAnswerAlikeWhileTheNodeIsPresentAndWhileItIsBeingDeleted() throws Exception {
        // Until both listen, curl fails to connect: that is waiting, not a failure.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
            assertThat(kubeProxy("/healthz")).startsWith("200 ");
            assertThat(sluice("/healthz")).startsWith("200 ");
        });
        assertAlike("/healthz");
        assertAlike("/livez");

        // A finalizer holds the Node in "being deleted", the state a drain ends in.
        cluster.kubectl("patch", "node", "node-a", "--type=merge", "-p",
                "{\"metadata\":{\"finalizers\":[\"sluice.dev/test\"]}}");
        cluster.kubectl("delete", "node", "node-a", "--wait=false");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(kubeProxy("/healthz")).startsWith("503 ");
            assertThat(sluice("/healthz")).startsWith("503 ");
        });
        assertAlike("/healthz");
        assertAlike("/livez");
        cluster.kubectl("patch", "node", "node-a", "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
    }

    private static void assertAlike(String path) throws Exception {
        String k = kubeProxy(path);
        String s = sluice(path);
        assertThat(s.substring(0, 3)).as(path + ": kube-proxy said " + k + ", sluice " + s).isEqualTo(k.substring(0, 3));
        Set<String> expected = fields(k);
        expected.removeAll(ONLY_KUBE_PROXY);
        assertThat(fields(s)).as(path + ": body fields; kube-proxy said " + k + ", sluice " + s).isEqualTo(expected);
    }

    private static Set<String> fields(String answer) {
        JsonNode body = JSON.readTree(answer.substring(4));
        Set<String> names = new TreeSet<>();
        body.propertyNames().forEach(names::add);
        return names;
    }

    private static String kubeProxy(String path) {
        return get(topology.node(), "http://" + NODE_IP + ":10256" + path);
    }

    private static String sluice(String path) {
        return get(sluiceNode, "http://" + SLUICE_IP + ":10256" + path);
    }

    /** {@code CODE BODY} of one GET from inside {@code ns}. */
    private static String get(NetworkNamespace ns, String url) {
        String out = ns.exec("curl", "-sS", "-m", "5", "-o", "/dev/stdout", "-w", "\n%{http_code}", url);
        int newline = out.lastIndexOf('\n');
        return out.substring(newline + 1).trim() + " " + out.substring(0, newline).trim();
    }
}
