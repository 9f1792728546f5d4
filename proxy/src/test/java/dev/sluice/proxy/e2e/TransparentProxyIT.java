package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.BACKEND_IPS;
import static dev.sluice.proxy.e2e.Topology.NODE_BACKEND_IP;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The real {@code sluice.jar} with {@code --capture tproxy --source-ip client}, on a node
 * namespace with real nftables: Services are reached without any socket or interface address of
 * their own, and backends see the client's address. Needs root and the {@code nft} program;
 * skipped, with the reason, without. The last test kills Sluice, restarts it with
 * {@code --source-ip node}, and checks what stays in the kernel; the last runs bound listeners
 * with {@code --source-ip client}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TransparentProxyIT {
    private static final Duration SERVING = Duration.ofSeconds(40);
    private static final List<String> NAMES = List.of("be-1", "be-2", "be-3");
    private static final Pattern ELEMENT = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+) \\. (tcp|udp) \\. (\\d+)");

    private static Topology topology;
    private static Cluster cluster;
    private static ChildProcess backends;
    private static ChildProcess pod;
    private static ChildProcess sluice;
    private static Path work;
    private static Path jar;

    @BeforeAll
    static void startNode() throws Exception {
        String unavailable = NetworkNamespace.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Assumptions.assumeTrue(nftInstalled(), "needs the nft program (apt-get install nftables)");
        jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        assertThat(jar).as("the jar built by package (system property sluice.jar)").isRegularFile();
        work = Files.createDirectories(Path.of("target", "e2e", "tproxy-" + NetworkNamespace.suffix())).toAbsolutePath();

        topology = Topology.create("stp", "stp-api-");
        // Backends answer a pod's address through the node, as pod routing does; the node has a
        // default route, as every node has, which hostNetwork clients of a ClusterIP need.
        topology.backends().ip("route", "add", "198.18.1.0/24", "via", NODE_BACKEND_IP);
        topology.node().ip("route", "add", "default", "via", BACKEND_IPS.get(2));
        cluster = Cluster.start(topology.apiServerIp());

        List<String> servers = new ArrayList<>();
        for (int i = 0; i < BACKEND_IPS.size(); i++) {
            servers.add(BACKEND_IPS.get(i) + ":" + Cluster.TARGET_PORT + "=" + NAMES.get(i));
        }
        backends = ChildProcess.start("backends", javaIn(topology.backends(), PeerServer.class, servers),
                work.resolve("backends.log"), false);
        assertThat(backends.readLine(30)).isEqualTo("ready");
        pod = ChildProcess.start("pod", javaIn(topology.pod(), PodClient.class, List.of()), work.resolve("pod.log"), false);
        assertThat(pod.readLine(30)).isEqualTo("ready");
        sluice = startSluice("client", "sluice.log");
    }

    private static ChildProcess startSluice(String sourceIp, String logName) throws IOException {
        return startSluice(List.of("--capture", "tproxy", "--source-ip", sourceIp), logName);
    }

    private static ChildProcess startSluice(List<String> transparency, String logName) throws IOException {
        Path kubeconfig = cluster.writeKubeconfig(work);
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", topology.node().name(), java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "run",
                "--kubeconfig", kubeconfig.toString(),
                "--hostname-override", Cluster.NODE,
                "--nodeport-addresses", NODE_IP + "/32",
                "--healthz-bind-address", NODE_IP + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249"));
        command.addAll(transparency);
        return ChildProcess.start("sluice", command, work.resolve(logName), true);
    }

    @AfterAll
    static void stopNode() {
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
    @Order(1)
    void aPodReachesAClusterIpRoundRobinAndEveryBackendSeesThePodsAddress() throws Exception {
        cluster.createService("web", "198.18.100.10", spec -> spec);
        cluster.setEndpoints("web", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.10", 80);

        Map<String, Integer> hits = new HashMap<>();
        for (int i = 0; i < 9; i++) {
            String answer = ask("GET " + POD_IP + " 198.18.100.10 80");
            assertThat(answer).matches("OK be-[123] " + Pattern.quote(POD_IP));
            hits.merge(answer.split(" ")[1], 1, Integer::sum);
        }
        assertThat(hits).isEqualTo(Map.of("be-1", 3, "be-2", 3, "be-3", 3));
    }

    @Test
    @Order(2)
    void aBackendFirewallThatAdmitsOnlyThePodStillServesIt() throws Exception {
        cluster.createService("policy", "198.18.100.11", spec -> spec);
        cluster.setEndpoints("policy", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.11", 80);
        allowOnlyThePodAtTheBackends();
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(ask("GET " + POD_IP + " 198.18.100.11 80")).matches("OK be-[123] " + Pattern.quote(POD_IP));
            }
            // The firewall is real: the node's own address is refused.
            assertThat(topology.node().exec("bash", "-c", "exec 3<>/dev/tcp/" + BACKEND_IPS.get(0) + "/8080 && echo open"
                    + " || echo refused")).isEqualTo("refused\n");
        } finally {
            topology.backends().exec("nft", "delete", "table", "inet", "stpfw");
        }
    }

    @Test
    @Order(3)
    void aHostNetworkClientOnTheNodeReachesAClusterIp() throws Exception {
        cluster.createService("hostnet", "198.18.100.12", spec -> spec);
        cluster.setEndpoints("hostnet", BACKEND_IPS);
        awaitServing(POD_IP, "198.18.100.12", 80);

        String answer = topology.node().exec("bash", "-c", "exec 3<>/dev/tcp/198.18.100.12/80; head -1 <&3");
        // The node's own connection leaves by its default route, so its address is the one on that link.
        assertThat(answer).matches("be-[123] " + Pattern.quote(NODE_BACKEND_IP) + "\n");
    }

    @Test
    @Order(4)
    void aNodePortKeepsTheClientsAddressOnlyForExternalTrafficPolicyLocal() throws Exception {
        cluster.createService("np-cluster", "198.18.100.13", spec -> spec.withType("NodePort")
                .editFirstPort().withNodePort(30080).endPort());
        cluster.setEndpoints("np-cluster", BACKEND_IPS);
        cluster.createService("np-local", "198.18.100.14", spec -> spec.withType("NodePort")
                .withExternalTrafficPolicy("Local").editFirstPort().withNodePort(30081).endPort());
        cluster.setEndpoints("np-local", BACKEND_IPS, "TCP", Cluster.NODE);
        awaitServing(POD_IP, NODE_IP, 30080);
        awaitServing(POD_IP, NODE_IP, 30081);

        assertThat(ask("GET " + POD_IP + " " + NODE_IP + " 30080")).matches("OK be-[123] " + Pattern.quote(NODE_BACKEND_IP));
        assertThat(ask("GET " + POD_IP + " " + NODE_IP + " 30081")).matches("OK be-[123] " + Pattern.quote(POD_IP));
    }

    @Test
    @Order(5)
    void aDnsLikeUdpServiceAnswersFromItsClusterIpAndSeesThePod() throws Exception {
        cluster.createService("dns", "198.18.100.15", spec -> spec.editFirstPort().withProtocol("UDP").withPort(53).endPort());
        cluster.setEndpoints("dns", BACKEND_IPS, "UDP", "node-b");
        awaitSluice().pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                assertThat(ask("UDP " + POD_IP + " 198.18.100.15 53 hello"))
                        .matches("OK be-[123] " + Pattern.quote(POD_IP) + " hello from 198\\.18\\.100\\.15:53"));
        // A second query of the same flow comes back the same way, through the flow's reply socket.
        assertThat(ask("UDP " + POD_IP + " 198.18.100.15 53 again"))
                .matches("OK be-[123] " + Pattern.quote(POD_IP) + " again from 198\\.18\\.100\\.15:53");
    }

    @Test
    @Order(6)
    void twoHundredServicesUseAHandfulOfSocketsNoAddressesAndOneChangeTouchesOnlyItsElements() throws Exception {
        for (int i = 0; i < 200; i++) {
            String name = "many-" + i;
            cluster.createService(name, "198.18.101." + (i + 1), spec -> spec);
        }
        awaitSluice().untilAsserted(() -> assertThat(elements()).hasSizeGreaterThanOrEqualTo(200 + 5));
        Set<String> before = elements();
        String listening = topology.node().exec("ss", "-H", "-l", "-n", "-t", "-u");
        assertThat(listening.lines().count()).as(listening).isLessThanOrEqualTo(6);
        assertThat(topology.node().ip("-o", "addr", "show")).doesNotContain("198.18.100.", "198.18.101.");

        cluster.createService("one-more", "198.18.102.1", spec -> spec);
        awaitSluice().untilAsserted(() -> assertThat(elements()).hasSize(before.size() + 1));
        Set<String> added = elements();
        added.removeAll(before);
        assertThat(added).containsExactly("198.18.102.1 . tcp . 80");
        assertThat(elements()).containsAll(before);

        cluster.deleteService("many-7");
        awaitSluice().untilAsserted(() -> assertThat(elements()).hasSize(before.size()));
        Set<String> removed = new TreeSet<>(before);
        removed.add("198.18.102.1 . tcp . 80");
        removed.removeAll(elements());
        assertThat(removed).containsExactly("198.18.101.8 . tcp . 80");
    }

    @Test
    @Order(7)
    void aCrashedRunIsReplacedCleanlyAndSigtermLeavesNothingOfOursAndEverythingOfOthers() throws Exception {
        NetworkNamespace node = topology.node();
        node.exec("nft", "add", "table", "inet", "other");
        node.ip("rule", "add", "fwmark", "0x7", "lookup", "5200", "pref", "5200");
        node.ip("route", "add", "local", "198.18.250.0/24", "dev", "lo", "table", "5200");

        sluice.kill();
        assertThat(node.exec("nft", "list", "tables")).as("a crash leaves the table").contains("table inet sluice");
        sluice = startSluice(List.of("--capture", "tproxy", "--source-ip", "node", "--drain-timeout", "1s"),
                "sluice-restarted.log");
        awaitServing(POD_IP, "198.18.100.10", 80);
        assertThat(node.ip("rule", "show").lines().filter(l -> l.contains("lookup 5100")).count()).isEqualTo(1);
        assertThat(ask("GET " + POD_IP + " 198.18.100.10 80")).matches("OK be-[123] " + Pattern.quote(NODE_BACKEND_IP));
        allowOnlyThePodAtTheBackends();
        try {
            assertThat(ask("GET " + POD_IP + " 198.18.100.10 80")).as("--source-ip node is refused").startsWith("FAIL");
        } finally {
            topology.backends().exec("nft", "delete", "table", "inet", "stpfw");
        }

        // A connection through a Service that is deleted runs until the drain timeout ends it.
        assertThat(ask("OPEN held " + POD_IP + " 198.18.100.11 80")).matches("OK be-[123] .*");
        cluster.deleteService("policy");
        awaitSluice().untilAsserted(() -> assertThat(elements()).doesNotContain("198.18.100.11 . tcp . 80"));
        awaitSluice().untilAsserted(() -> assertThat(ask("SEND held still there?")).startsWith("FAIL"));

        sluice.close();

        assertThat(node.exec("nft", "list", "tables")).doesNotContain("sluice").contains("table inet other");
        String rules = node.ip("rule", "show");
        assertThat(rules).doesNotContain("lookup 5100").contains("lookup 5200");
        assertThat(node.ip("route", "show", "table", "5100")).isEmpty();
        assertThat(node.ip("route", "show", "table", "5200")).contains("198.18.250.0/24");
    }

    @Test
    @Order(8)
    void boundListenersWithTheClientsSourceKeepThePodsAddressForTcpAndUdp() throws Exception {
        NetworkNamespace node = topology.node();
        sluice = startSluice(List.of("--capture", "bind", "--source-ip", "client", "--cluster-ip-interface", "sluice0"),
                "sluice-bind.log");
        awaitServing(POD_IP, "198.18.100.10", 80);

        assertThat(ask("GET " + POD_IP + " 198.18.100.10 80")).matches("OK be-[123] " + Pattern.quote(POD_IP));
        awaitSluice().pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                assertThat(ask("UDP " + POD_IP + " 198.18.100.15 53 bound"))
                        .matches("OK be-[123] " + Pattern.quote(POD_IP) + " bound from 198\\.18\\.100\\.15:53"));
        assertThat(node.exec("nft", "list", "table", "inet", "sluice")).doesNotContain("frontends4");

        sluice.close();
        assertThat(node.exec("nft", "list", "tables")).doesNotContain("sluice");
        assertThat(node.ip("rule", "show")).doesNotContain("lookup 5100");
        assertThat(node.ip("-o", "addr", "show")).doesNotContain("198.18.100.");
    }

    private static void allowOnlyThePodAtTheBackends() {
        topology.backends().exec("bash", "-c", "nft add table inet stpfw && nft 'add chain inet stpfw input "
                + "{ type filter hook input priority 0; policy accept; }' && nft add rule inet stpfw input "
                + "tcp dport 8080 ip saddr != " + POD_IP + " reject with tcp reset");
    }

    private static Set<String> elements() {
        String listed = topology.node().exec("nft", "list", "set", "inet", "sluice", "frontends4");
        Set<String> elements = new TreeSet<>();
        Matcher matcher = ELEMENT.matcher(listed);
        while (matcher.find()) {
            elements.add(matcher.group(1) + " . " + matcher.group(2) + " . " + matcher.group(3));
        }
        return elements;
    }

    private static boolean nftInstalled() {
        try {
            return new ProcessBuilder("nft", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void awaitServing(String source, String ip, int port) {
        awaitSluice().pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(ask("GET " + source + " " + ip + " " + port)).matches("OK be-[123] .*"));
    }

    private static String ask(String command) throws IOException, InterruptedException {
        return pod.ask(command);
    }

    private static ConditionFactory awaitSluice() {
        return await().atMost(SERVING).failFast("sluice exited",
                () -> assertThat(sluice.isAlive()).as(() -> "sluice is running; its log ends:\n" + sluice.tail()).isTrue());
    }

    private static List<String> javaIn(NetworkNamespace ns, Class<?> main, List<String> args) throws Exception {
        String classes = Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(), java(),
                "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classes, main.getName()));
        command.addAll(args);
        return command;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void close(AutoCloseable closeable) {
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
