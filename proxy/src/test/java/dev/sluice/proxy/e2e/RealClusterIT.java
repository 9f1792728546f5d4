package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static dev.sluice.proxy.e2e.Topology.POD_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.iface.NetworkNamespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sluice in cluster mode against a real control plane ({@code test/k8s/up}): real validation and
 * defaulting, EndpointSlices written by the real controller, Pods made Ready by kwok, label
 * selectors evaluated by the server, resource versions, bookmarks and relists as they really
 * are. Sluice runs in a node namespace with the token of {@code deploy/}'s ServiceAccount, so its
 * ClusterRole is proven to be enough.
 *
 * <p>kwok's Pods have no network of their own: each Pod IP kwok assigns (from 198.18.64.0/18)
 * is added to the backends namespace, where one server on {@code 0.0.0.0:8080} greets with the
 * address it was reached on. A greeting therefore names the Pod whose endpoint Sluice chose.
 * Skipped without root or without the binaries of {@code test/k8s/build}.
 */
class RealClusterIT {
    static final String NODE = "node-a";
    private static final Duration SERVING = Duration.ofSeconds(60);

    private static Topology topology;
    private static RealCluster cluster;
    private static ChildProcess backends;
    private static ChildProcess pod;
    private static ChildProcess sluice;
    private static Path sluiceKubeconfig;
    private static final Set<String> wired = new HashSet<>();

    @BeforeAll
    static void startNode() throws Exception {
        String unavailable = RealCluster.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar"));
        assertThat(jar).as("the jar built by package (system property sluice.jar)").isRegularFile();
        Path work = Files.createDirectories(Path.of("target", "e2e", "real-" + NetworkNamespace.suffix()))
                .toAbsolutePath();

        topology = Topology.create();
        cluster = RealCluster.start(work.resolve("k8s"), topology.apiServerIp());
        cluster.kubectlWithInput(nodes(), "apply", "-f", "-");
        sluiceKubeconfig = cluster.serviceAccountKubeconfig();

        topology.node().ip("route", "add", "198.18.64.0/18", "dev", "vbe");
        backends = ChildProcess.start("backends", ClusterFrontendsIT.javaIn(topology.backends(), NameServer.class,
                List.of("0.0.0.0:8080=@")), work.resolve("backends.log"), false);
        assertThat(backends.readLine(30)).isEqualTo("ready");
        pod = ChildProcess.start("pod", ClusterFrontendsIT.javaIn(topology.pod(), PodClient.class, List.of()),
                work.resolve("pod.log"), false);
        assertThat(pod.readLine(30)).isEqualTo("ready");

        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", topology.node().name(),
                ClusterFrontendsIT.java(), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-jar", jar.toAbsolutePath().toString(), "run",
                "--kubeconfig", sluiceKubeconfig.toString(),
                "--hostname-override", NODE,
                "--cluster-ip-interface", "sluice0",
                "--nodeport-addresses", NODE_IP + "/32",
                "--healthz-bind-address", NODE_IP + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249"));
        sluice = ChildProcess.start("sluice", command, work.resolve("sluice.log"), true);
    }

    /** Two kwok Nodes in two zones; node-a is the one Sluice runs as. */
    static String nodes() {
        StringBuilder yaml = new StringBuilder();
        for (String name : List.of("node-a", "node-b")) {
            yaml.append(String.join("\n",
                    "apiVersion: v1",
                    "kind: Node",
                    "metadata:",
                    "  name: " + name,
                    "  labels:",
                    "    topology.kubernetes.io/zone: zone-" + name.substring(5),
                    "    kubernetes.io/hostname: " + name,
                    "  annotations:",
                    "    kwok.x-k8s.io/node: fake",
                    "---",
                    ""));
        }
        return yaml.toString();
    }

    @AfterAll
    static void stopNode() {
        try {
            ClusterFrontendsIT.close(sluice);
            ClusterFrontendsIT.close(pod);
            ClusterFrontendsIT.close(backends);
            ClusterFrontendsIT.close(cluster);
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @Test
    void aDeploymentServesThroughClusterIpAndNodePortAndScalingMovesTraffic() throws Exception {
        cluster.kubectlWithInput(deployment("web", "node-a", "node-b", "node-a")
                + service("web", "NodePort", ""), "apply", "-f", "-");
        String clusterIp = clusterIp("web");
        int nodePort = Integer.parseInt(cluster.kubectl("get", "service", "web", "-o",
                "jsonpath={.spec.ports[0].nodePort}").trim());

        awaitSluice().untilAsserted(() -> {
            Set<String> pods = podIps("web");
            assertThat(pods).hasSize(3);
            assertThat(reached(clusterIp, 80, 12)).isEqualTo(pods);
            assertThat(reached(NODE_IP, nodePort, 12)).isEqualTo(pods);
            Explain explain = Explain.run(sluiceKubeconfig, NODE);
            assertThat(explain.of(Explain.frontendKey("ClusterIP", clusterIp, 80, "TCP"))).isEqualTo(withPort(pods));
            assertThat(explain.of(Explain.frontendKey("NodePort", "", nodePort, "TCP"))).isEqualTo(withPort(pods));
        });

        cluster.kubectl("scale", "deployment", "web-node-a", "--replicas", "0");
        awaitSluice().untilAsserted(() -> {
            Set<String> pods = podIps("web");
            assertThat(pods).hasSize(1);
            assertThat(reached(clusterIp, 80, 4)).isEqualTo(pods);
            assertThat(Explain.run(sluiceKubeconfig, NODE).of(Explain.frontendKey("ClusterIP", clusterIp, 80, "TCP")))
                    .isEqualTo(withPort(pods));
        });

        String before = podIps("web").iterator().next();
        cluster.kubectl("delete", "pod", "-l", "app=web", "--wait=false");
        awaitSluice().untilAsserted(() -> {
            Set<String> pods = podIps("web");
            assertThat(pods).hasSize(1).doesNotContain(before);
            assertThat(reached(clusterIp, 80, 4)).isEqualTo(pods);
        });
    }

    @Test
    void headlessAndExternalNameServicesAreSkipped() throws Exception {
        cluster.kubectlWithInput(deployment("hl", "node-a") + service("hl", "ClusterIP", "  clusterIP: None\n")
                + String.join("\n", "apiVersion: v1", "kind: Service", "metadata:", "  name: ext", "  namespace: default",
                "spec:", "  type: ExternalName", "  externalName: example.invalid", ""), "apply", "-f", "-");

        awaitSluice().untilAsserted(() -> {
            Explain explain = Explain.run(sluiceKubeconfig, NODE);
            assertThat(explain.frontends().keySet()).noneMatch(k -> k.contains("/hl") || k.contains("/ext"));
            assertThat(explain.skipped()).anyMatch(s -> s.startsWith("Service default/ext:"));
            assertThat(podIps("hl")).hasSize(1);
        });
    }

    @Test
    void preferCloseSendsTrafficToTheNodesZoneByTheControllersHints() throws Exception {
        cluster.kubectlWithInput(deployment("near", "node-a", "node-b", "node-a", "node-b")
                + service("near", "ClusterIP", "  trafficDistribution: PreferClose\n"), "apply", "-f", "-");
        String clusterIp = clusterIp("near");

        awaitSluice().untilAsserted(() -> {
            Set<String> local = podIps("near", "node-a");
            assertThat(local).hasSize(2);
            assertThat(podIps("near")).hasSize(4);
            assertThat(cluster.kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=near",
                    "-o", "jsonpath={.items[*].endpoints[*].hints.forZones[*].name}")).contains("zone-a", "zone-b");
            assertThat(reached(clusterIp, 80, 8)).isEqualTo(local);
            assertThat(Explain.run(sluiceKubeconfig, NODE).of(Explain.frontendKey("ClusterIP", clusterIp, 80, "TCP")))
                    .isEqualTo(withPort(local));
        });
    }

    @Test
    void localTrafficPoliciesKeepTrafficOnThisNodeWhereSemanticsSaySo() throws Exception {
        cluster.kubectlWithInput(deployment("itp", "node-a", "node-b")
                + service("itp", "ClusterIP", "  internalTrafficPolicy: Local\n")
                + deployment("etp", "node-a", "node-b")
                + service("etp", "NodePort", "  externalTrafficPolicy: Local\n"), "apply", "-f", "-");
        String itp = clusterIp("itp");
        String etp = clusterIp("etp");
        int etpNodePort = Integer.parseInt(cluster.kubectl("get", "service", "etp", "-o",
                "jsonpath={.spec.ports[0].nodePort}").trim());

        awaitSluice().untilAsserted(() -> {
            assertThat(podIps("itp")).hasSize(2);
            assertThat(podIps("etp")).hasSize(2);
            // internalTrafficPolicy: Local: the ClusterIP reaches only this node's Pod.
            assertThat(reached(itp, 80, 6)).isEqualTo(podIps("itp", "node-a"));
            // externalTrafficPolicy: Local: the NodePort only this node's Pod, the ClusterIP all of them.
            assertThat(reached(NODE_IP, etpNodePort, 6)).isEqualTo(podIps("etp", "node-a"));
            assertThat(reached(etp, 80, 8)).isEqualTo(podIps("etp"));
        });
    }

    @Test
    void theDataPathServesThroughAnApiServerRestartAndLaterChangesArriveWithinFiveSeconds() throws Exception {
        cluster.kubectlWithInput(deployment("steady", "node-a", "node-b") + service("steady", "ClusterIP", ""),
                "apply", "-f", "-");
        String clusterIp = clusterIp("steady");
        awaitSluice().untilAsserted(() -> {
            Set<String> pods = podIps("steady");
            assertThat(pods).hasSize(2);
            assertThat(reached(clusterIp, 80, 6)).isEqualTo(pods);
        });
        Set<String> serving = podIps("steady");
        // A write Sluice does not watch moves the store's revision past every one Sluice has
        // seen; the restarted API server's watch cache starts there, so Sluice's informers are
        // likely to come back with a resource version it no longer has (410 Gone, a relist).
        // The client does not report which happened: the test holds the table right either way.
        cluster.kubectl("create", "configmap", "bump", "-n", "default", "--from-literal=at=" + System.nanoTime());
        cluster.stop("kube-apiserver");
        // The outage the restart is about: ten seconds without an API server, while traffic flows.
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < until) {
            assertThat(reached(clusterIp, 80, 2)).isSubsetOf(serving);
        }
        cluster.startStopped();

        // A Service with a hand-written slice: only Sluice's own watch stands between the change and the table.
        cluster.kubectlWithInput(selectorless("after", "198.18.2.12"), "apply", "-f", "-");
        String after = clusterIp("after");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(ask("GET " + POD_IP + " " + after + " 80")).isEqualTo("OK 198.18.2.12"));
        assertThat(reached(clusterIp, 80, 6)).isEqualTo(serving);

        // After the restart the table follows changes as before.
        cluster.kubectl("scale", "deployment", "steady-node-b", "--replicas", "0");
        awaitSluice().untilAsserted(() -> {
            Set<String> pods = podIps("steady");
            assertThat(pods).hasSize(1);
            assertThat(reached(clusterIp, 80, 4)).isEqualTo(pods);
        });
    }

    /**
     * Deployments of Pods labelled {@code app=name}, {@code nodes[i]} being the node of Pod i:
     * kwok runs no scheduler, so each node gets its own Deployment {@code name-NODE} with that
     * node's count of replicas and its {@code nodeName} set.
     */
    static String deployment(String name, String... nodes) {
        Map<String, Integer> replicas = new TreeMap<>();
        for (String node : nodes) {
            replicas.merge(node, 1, Integer::sum);
        }
        StringBuilder yaml = new StringBuilder();
        replicas.forEach((node, count) -> yaml.append(String.join("\n",
                "apiVersion: apps/v1",
                "kind: Deployment",
                "metadata:",
                "  name: " + name + "-" + node,
                "  namespace: default",
                "spec:",
                "  replicas: " + count,
                "  selector:",
                "    matchLabels: {app: " + name + ", node: " + node + "}",
                "  template:",
                "    metadata:",
                "      labels: {app: " + name + ", node: " + node + "}",
                "    spec:",
                "      nodeName: " + node,
                "      containers:",
                "      - name: app",
                "        image: fake.invalid/app",
                "        ports:",
                "        - {name: http, containerPort: 8080}",
                "---",
                "")));
        return yaml.toString();
    }

    /** A Service selecting {@code app=name}, port 80 to the named target port {@code http}. */
    static String service(String name, String type, String specExtra) {
        return String.join("\n",
                "apiVersion: v1",
                "kind: Service",
                "metadata:",
                "  name: " + name,
                "  namespace: default",
                "spec:",
                "  type: " + type,
                "  selector: {app: " + name + "}",
                "  ports:",
                "  - {name: web, port: 80, targetPort: http}",
                "") + specExtra + "---\n";
    }

    /** A Service without selector and its one slice, listing {@code ip}:8080 as ready. */
    static String selectorless(String name, String ip) {
        return String.join("\n",
                "apiVersion: v1",
                "kind: Service",
                "metadata: {name: " + name + ", namespace: default}",
                "spec:",
                "  ports:",
                "  - {name: web, port: 80}",
                "---",
                "apiVersion: discovery.k8s.io/v1",
                "kind: EndpointSlice",
                "metadata:",
                "  name: " + name + "-1",
                "  namespace: default",
                "  labels: {kubernetes.io/service-name: " + name + ", endpointslice.kubernetes.io/managed-by: sluice-test}",
                "addressType: IPv4",
                "ports:",
                "- {name: web, port: 8080, protocol: TCP}",
                "endpoints:",
                "- addresses: [\"" + ip + "\"]",
                "  conditions: {ready: true}",
                "");
    }

    private static String clusterIp(String service) throws IOException, InterruptedException {
        return cluster.kubectl("get", "service", service, "-o", "jsonpath={.spec.clusterIP}").trim();
    }

    /** The IPs of the Ready Pods of {@code app=name} (on {@code node} if given), each wired into the backends namespace. */
    private static Set<String> podIps(String app, String... node) throws IOException, InterruptedException {
        String out = cluster.kubectl("get", "pods", "-l", "app=" + app, "-o",
                "jsonpath={range .items[?(@.status.podIP)]}{.status.podIP} {.spec.nodeName} {.metadata.deletionTimestamp}{\"\\n\"}{end}");
        Set<String> ips = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] words = line.trim().split(" ");
            if (words.length != 2) {
                continue;  // no IP yet, or terminating
            }
            wire(words[0]);
            if (node.length == 0 || node[0].equals(words[1])) {
                ips.add(words[0]);
            }
        }
        return ips;
    }

    private static synchronized void wire(String ip) {
        if (wired.add(ip)) {
            topology.backends().ip("addr", "add", ip + "/32", "dev", "eth0");
        }
    }

    private static Set<String> withPort(Set<String> ips) {
        Set<String> endpoints = new TreeSet<>();
        ips.forEach(ip -> endpoints.add(ip + ":8080"));
        return endpoints;
    }

    /** The set of backends {@code connections} connections from the pod to {@code ip:port} reached. */
    private static Set<String> reached(String ip, int port, int connections) throws Exception {
        Set<String> reached = new TreeSet<>();
        for (int i = 0; i < connections; i++) {
            String answer = ask("GET " + POD_IP + " " + ip + " " + port);
            assertThat(answer).startsWith("OK ");
            reached.add(answer.substring(3));
        }
        return reached;
    }

    private static String ask(String command) throws IOException, InterruptedException {
        return pod.ask(command);
    }

    private static ConditionFactory awaitSluice() {
        return await().atMost(SERVING).pollInterval(Duration.ofMillis(500)).failFast("sluice exited",
                () -> assertThat(sluice.isAlive()).as(() -> "sluice is running; its log ends:\n" + sluice.tail()).isTrue());
    }
}
