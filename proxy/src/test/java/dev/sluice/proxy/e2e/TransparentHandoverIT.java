package dev.sluice.proxy.e2e;

import static dev.sluice.proxy.e2e.Topology.BACKEND_IPS;
import static dev.sluice.proxy.e2e.Topology.NODE_BACKEND_IP;
import static dev.sluice.proxy.e2e.Topology.NODE_IP;
import static dev.sluice.proxy.e2e.Topology.POD_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.iface.NetworkNamespace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The DaemonSet's combination, {@code --capture tproxy --source-ip client --handover-socket},
 * with the real {@code sluice.jar} in a node namespace with real nftables: a successor takes
 * over while a pod keeps connecting to a ClusterIP. The successor replaces the nftables table in
 * one transaction, so no new connection fails; the pod's connection made before the handover was
 * captured by the predecessor and finishes there. Needs root and the {@code nft} program;
 * skipped, with the reason, without.
 */
class TransparentHandoverIT {
    private static final Duration SERVING = Duration.ofSeconds(40);
    private static final String CLUSTER_IP = "198.18.100.10";
    private static final String GET = "GET " + POD_IP + " " + CLUSTER_IP + " 80";

    private Topology topology;
    private Cluster cluster;
    private final List<ChildProcess> children = new ArrayList<>();
    private Path work;

    @AfterEach
    void stopNode() {
        try {
            for (int i = children.size() - 1; i >= 0; i--) {
                children.get(i).close();
            }
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @Test
    void aSuccessorTakesOverCapturedServicesWithoutAFailedConnectionAndOwnsTheKernelRules() throws Exception {
        String unavailable = NetworkNamespace.unavailableReason();
        Assumptions.assumeTrue(unavailable == null, unavailable);
        Assumptions.assumeTrue(nftInstalled(), "needs the nft program (apt-get install nftables)");
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        assertThat(jar).as("the jar built by package (system property sluice.jar)").isRegularFile();
        work = Files.createDirectories(Path.of("target", "e2e", "tproxy-handover-" + NetworkNamespace.suffix()))
                .toAbsolutePath();
        topology = Topology.create("sho2", "sho2-api-");
        topology.backends().ip("route", "add", "198.18.1.0/24", "via", NODE_BACKEND_IP);
        cluster = Cluster.start(topology.apiServerIp());
        List<String> servers = new ArrayList<>();
        for (int i = 0; i < BACKEND_IPS.size(); i++) {
            servers.add(BACKEND_IPS.get(i) + ":" + Cluster.TARGET_PORT + "=be-" + (i + 1));
        }
        ChildProcess backends = child("backends", javaIn(topology.backends(), PeerServer.class, servers), false);
        assertThat(backends.readLine(30)).isEqualTo("ready");
        ChildProcess pod = child("pod", javaIn(topology.pod(), PodClient.class, List.of()), false);
        assertThat(pod.readLine(30)).isEqualTo("ready");

        ChildProcess predecessor = sluice(jar, "sluice-predecessor.log", "--shutdown-grace", "60s");
        cluster.createService("web", CLUSTER_IP, spec -> spec);
        cluster.setEndpoints("web", BACKEND_IPS);
        awaitAlive(predecessor).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(pod.ask(GET)).matches("OK be-[123] .*"));
        awaitAlive(predecessor).until(() -> log("sluice-predecessor.log").contains("serving handovers on"));
        assertThat(pod.ask("OPEN held " + POD_IP + " " + CLUSTER_IP + " 80"))
                .matches("OK be-[123] " + Pattern.quote(POD_IP));

        try (Load load = new Load(pod)) {
            await().atMost(SERVING).until(() -> load.ok.get() >= 5);
            long synRetransmitsBefore = podSynRetransmits();
            ChildProcess successor = sluice(jar, "sluice-successor.log");
            awaitAlive(successor).until(() -> log("sluice-successor.log").contains("took over from pid"));
            // The captured connection is not handed over: the predecessor still serves it, then exits.
            assertThat(pod.ask("SEND held still there?")).matches("OK be-[123] still there\\?");
            assertThat(predecessor.isAlive()).isTrue();
            assertThat(pod.ask("CLOSE held")).isEqualTo("OK");
            assertThat(predecessor.exitCode(30)).as("the predecessor, once its captured connection closed").isZero();
            long okAtExit = load.ok.get();
            awaitAlive(successor).until(() -> load.ok.get() >= okAtExit + 20);
            load.close();
            assertThat(load.failures).as("new connections across the handover").isEmpty();
            // A SYN that reached neither process is retransmitted a second later and hides in a slow connect.
            assertThat(podSynRetransmits() - synRetransmitsBefore).as("SYNs of the pod retransmitted across the handover")
                    .isZero();

            assertThat(pod.ask(GET)).as("through the successor alone").matches("OK be-[123] " + Pattern.quote(POD_IP));
            NetworkNamespace node = topology.node();
            assertThat(node.exec("nft", "list", "set", "inet", "sluice", "frontends4")).contains(CLUSTER_IP + " . tcp . 80");
            assertThat(node.ip("rule", "show").lines().filter(l -> l.contains("lookup 5100")).count()).isEqualTo(1);
            assertThat(node.ip("route", "show", "table", "5100")).contains("local default dev lo");

            successor.close();
            assertThat(node.exec("nft", "list", "tables")).doesNotContain("sluice");
            assertThat(node.ip("rule", "show")).doesNotContain("lookup 5100");
            assertThat(node.ip("route", "show", "table", "5100")).isEmpty();
        }
    }

    /** New connections from the pod, one after another on a thread of their own, each verified. */
    private static final class Load implements AutoCloseable {
        final AtomicLong ok = new AtomicLong();
        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Load(ChildProcess pod) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        String answer = pod.ask(GET);
                        if (answer.matches("OK be-[123] " + Pattern.quote(POD_IP))) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(answer);
                        }
                    } catch (IOException | RuntimeException e) {
                        failures.add(e.toString());
                        return;
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "pod-load");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(20_000);
        }
    }

    private ChildProcess sluice(Path jar, String logName, String... extra) throws IOException {
        Path kubeconfig = cluster.writeKubeconfig(work);
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", topology.node().name(), java(),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "run",
                "--kubeconfig", kubeconfig.toString(),
                "--hostname-override", Cluster.NODE,
                "--nodeport-addresses", NODE_IP + "/32",
                "--healthz-bind-address", NODE_IP + ":10256",
                "--metrics-bind-address", "127.0.0.1:10249",
                "--capture", "tproxy", "--source-ip", "client",
                "--handover-socket", work.resolve("handover.sock").toString()));
        command.addAll(List.of(extra));
        return child("sluice", command, true, logName);
    }

    private ChildProcess child(String name, List<String> command, boolean stdoutToLog) throws IOException {
        return child(name, command, stdoutToLog, name + ".log");
    }

    private ChildProcess child(String name, List<String> command, boolean stdoutToLog, String logName) throws IOException {
        ChildProcess child = ChildProcess.start(name, command, work.resolve(logName), stdoutToLog);
        children.add(child);
        return child;
    }

    /** TCPSynRetrans of the pod's network namespace: SYNs sent again because no answer came. */
    private long podSynRetransmits() {
        List<String> lines = topology.pod().exec("cat", "/proc/net/netstat").lines()
                .filter(l -> l.startsWith("TcpExt:")).toList();
        List<String> names = List.of(lines.get(0).split(" "));
        return Long.parseLong(lines.get(1).split(" ")[names.indexOf("TCPSynRetrans")]);
    }

    private String log(String name) throws IOException {
        return Files.readString(work.resolve(name), StandardCharsets.UTF_8);
    }

    private static org.awaitility.core.ConditionFactory awaitAlive(ChildProcess sluice) {
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
}
