package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
 * codes and the same body fields for the same states of the Node (present, being deleted), and,
 * for {@code node-b}, the one difference the README lists: before the first sync.
 * Skipped without root, nft or the binaries of {@code test/k8s/build}.
 */
class HealthOracleIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SLUICE_IP = "198.18.3.2";
    private static final String EARLY_PROXY_IP = "198.18.3.3";
    private static final String EARLY_SLUICE_IP = "198.18.3.4";
    /** A ServiceAccount that may read Nodes and nothing else. */
    private static final String NODE_READER = String.join("\n",
            "apiVersion: v1",
            "kind: ServiceAccount",
            "metadata: {name: node-reader, namespace: default}",
            "---",
            "apiVersion: rbac.authorization.k8s.io/v1",
            "kind: ClusterRole",
            "metadata: {name: sluice-test-node-reader}",
            "rules:",
            "- {apiGroups: [\"\"], resources: [nodes], verbs: [get, list, watch]}",
            "---",
            "apiVersion: rbac.authorization.k8s.io/v1",
            "kind: ClusterRoleBinding",
            "metadata: {name: sluice-test-node-reader}",
            "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sluice-test-node-reader}",
            "subjects:",
            "- {kind: ServiceAccount, name: node-reader, namespace: default}",
            "");
    /**
     * kube-proxy's {@code status} (one {@code lastUpdated} and {@code healthy} per IP family,
     * each family being its own proxier) has no counterpart in Sluice, which keeps one table for
     * both families; the README lists this difference.
     */
    private static final Set<String> ONLY_KUBE_PROXY = Set.of("status");

    private static Topology topology;
    private static NetworkNamespace sluiceNode;
    private static int subnet;
    private static Path work;
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
        work = Files.createDirectories(Path.of("target", "e2e", "health-" + NetworkNamespace.suffix()))
                .toAbsolutePath();
        topology = Topology.create();
        cluster = RealCluster.start(work.resolve("k8s"), topology.apiServerIp());
        cluster.kubectlWithInput(RealClusterIT.nodes(), "apply", "-f", "-");
        cluster.startKubeProxy(topology.node().name(), "node-a", "--nodeport-addresses", NODE_IP + "/32");

        // Sluice's node: its own namespace, linked to the test's namespace for the API server.
        subnet = ThreadLocalRandom.current().nextInt(0, 63) * 4;
        sluiceNode = linkedNode("slnode", "198.18.4.", SLUICE_IP);
        sluice = startSluice(sluiceNode, "node-a", SLUICE_IP, work.resolve("sluice.log"));
    }

    /** A node namespace with {@code ip} on lo and a veth from {@code prefix}{@code subnet}/30 to the API server. */
    private static NetworkNamespace linkedNode(String role, String prefix, String ip) {
        NetworkNamespace ns = NetworkNamespace.create(role);
        String rootSide = prefix + (subnet + 1);
        String nodeSide = prefix + (subnet + 2);
        String rootLink = "sl-h" + role.charAt(0) + "-" + NetworkNamespace.suffix();
        IpCommand host = IpCommand.system();
        run(host, "link", "add", rootLink, "type", "veth", "peer", "name", "eth0", "netns", ns.name());
        run(host, "addr", "add", rootSide + "/30", "dev", rootLink);
        run(host, "link", "set", rootLink, "up");
        ns.ip("addr", "add", nodeSide + "/30", "dev", "eth0");
        ns.ip("addr", "add", ip + "/32", "dev", "lo");
        ns.ip("link", "set", "eth0", "up");
        ns.ip("route", "add", topology.apiServerIp() + "/32", "via", rootSide);
        return ns;
    }

    private static ChildProcess startSluice(NetworkNamespace ns, String node, String ip, Path log, String... flags)
            throws Exception {
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), ClusterFrontendsIT.java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "run",
                "--kubeconfig", cluster.kubeconfig().toString(),
                "--hostname-override", node,
                "--nodeport-addresses", ip + "/32",
                "--healthz-bind-address", ip + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249"));
        command.addAll(List.of(flags));
        return ChildProcess.start("sluice", command, log, true);
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

    @Test
    void beforeTheFirstSyncKubeProxyAnswers200AndSluice503WithTheSameFields() throws Exception {
        // kube-proxy for node-b may read Nodes but not Services or EndpointSlices: its Node informer
        // syncs (it serves health only after that), its proxier never does.
        cluster.kubectlWithInput(NODE_READER, "apply", "-f", "-");
        NetworkNamespace proxyNode = linkedNode("kpnode", "198.18.5.", EARLY_PROXY_IP);
        // Sluice for node-b has no route to the API server: its first lists fail and are retried
        // (with back-off, for well over a minute), and its first table waits for them.
        NetworkNamespace isolated = NetworkNamespace.create("slearly");
        ChildProcess early = null;
        try {
            isolated.ip("addr", "add", EARLY_SLUICE_IP + "/32", "dev", "lo");
            cluster.startKubeProxyListening(proxyNode.name(), "node-b", "--kubeconfig",
                    cluster.tokenKubeconfig("node-reader").toString(), "--nodeport-addresses", EARLY_PROXY_IP + "/32");
            early = startSluice(isolated, "node-b", EARLY_SLUICE_IP, work.resolve("sluice-early.log"), "--sync-timeout", "10m");
            ChildProcess sluiceEarly = early;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("sluice exited", () -> assertThat(sluiceEarly.isAlive()).isTrue())
                    .untilAsserted(() -> assertThat(get(isolated, earlySluice("/livez"))).startsWith("503 "));
            for (String path : List.of("/healthz", "/livez")) {
                String k = get(proxyNode, "http://" + EARLY_PROXY_IP + ":10256" + path);
                String s = get(isolated, earlySluice(path));
                // kube-proxy: healthy while starting (its sync loop marks itself updated when it begins).
                assertThat(k).as(path).startsWith("200 ").contains("\"healthy\":true");
                // Sluice: not healthy until its first full table (the README says why).
                assertThat(s).as(path).startsWith("503 ").contains("\"lastUpdated\":\"0001-01-01T00:00:00Z\"",
                        "\"healthy\":false");
                Set<String> expected = fields(k);
                expected.removeAll(ONLY_KUBE_PROXY);
                assertThat(fields(s)).as(path + ": body fields; kube-proxy said " + k + ", sluice " + s).isEqualTo(expected);
            }
            assertThat(early.isAlive()).as("sluice still waits for its first table").isTrue();
            // kube-proxy writes its table in its first sync: none yet.
            assertThatThrownBy(() -> proxyNode.exec("nft", "list", "table", "ip", "kube-proxy"))
                    .as("kube-proxy has not synced").hasMessageContaining("No such file or directory");
        } finally {
            ClusterFrontendsIT.close(early);
            cluster.stop("kube-proxy-node-b");
            isolated.close();
            proxyNode.close();
        }
    }

    private static String earlySluice(String path) {
        return "http://" + EARLY_SLUICE_IP + ":10256" + path;
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
