package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.e2e.OracleCase.Hints;
import dev.sluice.proxy.e2e.OracleCase.Shape;
import dev.sluice.proxy.iface.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real kube-proxy as the oracle: the same Services and EndpointSlices on a real API server,
 * kube-proxy (nftables) programming its table in a node namespace as {@code node-a}, and
 * {@code sluice explain --kubeconfig --node node-a} computing Sluice's table from the same
 * cluster. For every frontend (ClusterIP, NodePort, LoadBalancer IP, external IP) the endpoint
 * set kube-proxy programmed must equal the one Sluice computes.
 *
 * <p>The cases are a fixed list naming the situations that matter (several slices, terminating
 * and serving endpoints, both traffic policies, zone and node hints, a named targetPort, NodePort,
 * {@code allocateLoadBalancerNodePorts: false}, LoadBalancer IPs with source ranges) plus
 * {@code oracle.cases} (default 200) random ones from {@code oracle.seed} (default: random),
 * printed in every failure. Skipped without root, nft or the binaries of {@code test/k8s/build}.
 */
class KubeProxyOracleIT {
    private static final long SEED = Long.getLong("oracle.seed", new Random().nextLong());
    private static final int RANDOM_CASES = Integer.getInteger("oracle.cases", 200);

    private static Path work;
    private static Topology topology;
    private static RealCluster cluster;

    @BeforeAll
    static void startKubeProxy() throws Exception {
        String unavailable = RealCluster.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        String noNft = RealCluster.kubeProxyUnavailableReason();
        Assumptions.assumeTrue(noNft == null, noNft);
        assertThat(Path.of(System.getProperty("sluice.jar", "target/sluice.jar"))).isRegularFile();
        work = Files.createDirectories(Path.of("target", "e2e", "oracle-" + NetworkNamespace.suffix()))
                .toAbsolutePath();
        topology = Topology.create();
        cluster = RealCluster.start(work.resolve("k8s"), topology.apiServerIp());
        cluster.kubectlWithInput(RealClusterIT.nodes(), "apply", "-f", "-");
        cluster.kubectl("create", "namespace", OracleCase.NAMESPACE);
        cluster.startKubeProxy(topology.node().name(), "node-a", "--nodeport-addresses", NODE_IP + "/32");
    }

    @AfterAll
    static void stop() {
        try {
            ClusterFrontendsIT.close(cluster);
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @Test
    void kubeProxyAndSluiceProgramTheSameEndpointsForEveryFrontend() throws Exception {
        System.out.println("oracle seed " + SEED + " (-Doracle.seed=" + SEED + " repeats this run)");
        Random random = new Random(SEED);
        List<OracleCase> cases = new ArrayList<>();
        for (Shape shape : fixedShapes()) {
            cases.add(OracleCase.of(cases.size(), shape, random));
        }
        for (int i = 0; i < RANDOM_CASES; i++) {
            cases.add(OracleCase.of(cases.size(), Shape.random(random), random));
        }
        StringBuilder all = new StringBuilder();
        cases.forEach(c -> all.append(c.yaml()));
        Files.writeString(work.resolve("cases.yaml"), all);
        cluster.kubectlWithInput(all.toString(), "create", "-f", "-");
        for (OracleCase c : cases) {
            if (c.loadBalancerIp() != null) {
                cluster.kubectl("-n", OracleCase.NAMESPACE, "patch", "service", c.name(), "--subresource=status",
                        "--type=merge", "-p", "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"" + c.loadBalancerIp() + "\"}]}}}");
            }
        }
        int expectedFrontends = cases.size();
        // A named targetPort, resolved by the real EndpointSlice controller from kwok's Pods.
        cluster.kubectlWithInput(RealClusterIT.deployment("named", "node-a", "node-b", "node-b")
                + RealClusterIT.service("named", "NodePort", ""), "apply", "-f", "-");
        String named = cluster.kubectl("get", "service", "named", "-o", "jsonpath={.spec.clusterIP}").trim() + ":80/TCP";

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            Map<String, Set<String>> kubeProxy = KubeProxyTable.parse(
                    topology.node().exec("nft", "-j", "list", "table", "ip", "kube-proxy")).frontends();
            Explain explain = Explain.run(cluster.kubeconfig(), "node-a", "--nodeport-addresses", NODE_IP + "/32");
            Map<String, Set<String>> sluice = withoutTypes(explain.frontends());
            assertThat(sluice.size()).as("frontends explained").isGreaterThan(expectedFrontends);
            assertThat(sluice.get(named)).as(() -> "the named targetPort's endpoints; its Pods: " + namedPods())
                    .hasSize(3);
            assertThat(differences(kubeProxy, sluice, withoutTypes(explain.owners())))
                    .as("seed " + SEED + " (cases in " + work + "): frontend service: kube-proxy | sluice").isEmpty();
        });
        System.out.println("oracle: " + cases.size() + " cases agree (seed " + SEED + ")");
    }

    /** The situations the oracle must always cover; the random ones add to them. */
    private static List<Shape> fixedShapes() {
        return List.of(
                // several slices, every condition mix
                new Shape("ClusterIP", 2, false, false, false, true, false, false, false, 3, 4, Hints.NONE, 0.3, 0.3, 0.3, true),
                // only terminating endpoints, serving and not
                new Shape("ClusterIP", 1, false, false, false, true, false, false, false, 2, 3, Hints.NONE, 0, 1, 0.5, false),
                new Shape("ClusterIP", 1, false, true, false, true, false, false, false, 2, 3, Hints.NONE, 0.2, 0.2, 0.5, false),
                new Shape("NodePort", 1, false, false, true, true, false, false, false, 2, 3, Hints.NONE, 0.2, 0.2, 0.5, false),
                new Shape("NodePort", 1, true, true, true, true, false, false, false, 2, 3, Hints.NONE, 0.2, 0.2, 0.5, false),
                new Shape("ClusterIP", 1, false, false, false, true, false, false, false, 2, 4, Hints.ZONE, 0, 0, 0.5, false),
                new Shape("ClusterIP", 1, false, false, false, true, false, false, false, 2, 4, Hints.NODE, 0, 0, 0.5, false),
                new Shape("ClusterIP", 1, false, false, false, true, false, false, false, 2, 4, Hints.PARTIAL, 0, 0, 0.5, false),
                new Shape("LoadBalancer", 1, false, false, false, false, true, true, false, 1, 3, Hints.NONE, 0, 0, 0.5, false),
                new Shape("LoadBalancer", 2, false, false, true, true, true, true, true, 2, 3, Hints.NONE, 0.1, 0.1, 0.5, false),
                new Shape("ClusterIP", 1, false, false, false, true, false, false, false, 0, 0, Hints.NONE, 0, 0, 0, false));
    }

    /** {@code ClusterIP 198.19.0.10:80/TCP} to {@code 198.19.0.10:80/TCP}, as kube-proxy's maps key them. */
    private static <T> Map<String, T> withoutTypes(Map<String, T> typed) {
        Map<String, T> keyed = new TreeMap<>();
        typed.forEach((key, value) -> keyed.put(key.substring(key.indexOf(' ') + 1), value));
        return keyed;
    }

    private static List<String> differences(Map<String, Set<String>> kubeProxy, Map<String, Set<String>> sluice,
                                            Map<String, String> owners) {
        Set<String> keys = new TreeSet<>(kubeProxy.keySet());
        keys.addAll(sluice.keySet());
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            Set<String> k = kubeProxy.get(key);
            Set<String> s = sluice.get(key);
            if (k == null || !k.equals(s)) {
                differences.add(key + " " + owners.get(key) + ": " + (k == null ? "absent" : k) + " | " + (s == null ? "absent" : s));
            }
        }
        return differences;
    }

    /** The named Deployment's Pods with node, address and phase, to explain a failure. */
    private static String namedPods() {
        try {
            return cluster.kubectl("get", "pods", "-l", "app=named", "-o", "jsonpath={range .items[*]}"
                    + "{.metadata.name} {.spec.nodeName} {.status.podIP} {.status.phase}; {end}");
        } catch (IOException e) {
            return "(not read: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(not read: interrupted)";
        }
    }
}
