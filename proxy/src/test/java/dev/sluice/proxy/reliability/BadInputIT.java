package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.config;
import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.SluiceJar;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad flags, unusable frontends and a broken config on reload, against the real jar. */
class BadInputIT {
    @AutoClose
    private static final TestServers servers = new TestServers();

    @TempDir
    Path dir;

    static Stream<Arguments> badFlags() {
        return Stream.of(
                Arguments.of("--no-such-flag", List.of("--no-such-flag")),
                Arguments.of("--ejection-time=10x", List.of("--ejection-time", "10x", "expected")),
                Arguments.of("--max-connections=-1", List.of("max-connections", "-1", "expected")),
                Arguments.of("--nodeport-addresses=198.18.0.0/99", List.of("nodeport-addresses", "198.18.0.0/99", "expected")),
                Arguments.of("--balance=random", List.of("balance", "random", "expected")),
                Arguments.of("--transport=dpdk", List.of("transport", "dpdk", "expected")),
                Arguments.of("--healthz-bind-address=198.18.0.300:10256",
                        List.of("healthz-bind-address", "198.18.0.300:10256", "expected")),
                Arguments.of("--kubeconfig=/nonexistent/kubeconfig", List.of("kubeconfig", "/nonexistent/kubeconfig", "expected")));
    }

    /** Each bad flag stops start-up with a non-zero exit and a message naming it, its value and what was expected. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void aBadFlagExitsNonZeroNamingItsValueAndWhatWasExpected(String flag, List<String> named) throws Exception {
        TestServers.Server backend = servers.named("b");
        Path file = config(dir.resolve("sluice.yaml"), service("web", freePort(), "", backend));
        try (SluiceJar sluice = SluiceJar.start("run", "--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=", flag)) {
            assertThat(sluice.awaitExit(Duration.ofSeconds(20))).isNotZero();
            assertThat(sluice.output()).contains(named).doesNotContain("serving generation");
        }
    }

    /**
     * A frontend port another process holds, and a frontend address that is not local, are
     * each logged and counted as bind failures while the process serves the other services.
     */
    @Test
    void aFrontendInUseOrNotLocalIsReportedAndCountedWhileTheOthersServe() throws Exception {
        TestServers.Server backend = servers.named("b");
        int served = freePort();
        int remote = freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path file = config(dir.resolve("sluice.yaml"),
                    service("taken", taken.getLocalPort(), "", backend),
                    service("web", served, "", backend),
                    "  - name: remote\n    listen: [\"198.18.0.10:" + remote + "\"]\n"
                            + "    backends: [\"" + backend.hostPort() + "\"]\n");
            try (SluiceJar sluice = SluiceJar.start("run", "--config=" + file, "--healthz-bind-address=",
                    "--metrics-bind-address=127.0.0.1:0")) {
                String metrics = metricsUrl(sluice.awaitLine("serving generation 1").text());
                assertThat(ask(loopback(served))).isEqualTo("b");
                sluice.awaitLine("\\[/?taken\\] cannot listen on .*127\\.0\\.0\\.1:" + taken.getLocalPort());
                sluice.awaitLine("\\[/?remote\\] cannot listen on .*198\\.18\\.0\\.10:" + remote);
                assertThat(Admin.sum(Admin.get(metrics).body(), "sluice_listeners_bind_failures_total")).isEqualTo(2.0);
                assertThat(sluice.isAlive()).isTrue();
                assertThat(ask(loopback(served))).isEqualTo("b");
            }
        }
    }

    /**
     * A config file broken while the process runs is rejected and counted
     * ({@code sluice_rejected_objects_total{kind="config"}}), and the last good table keeps
     * forwarding.
     */
    @Test
    void aBadConfigOnReloadKeepsTheLastGoodTableServingAndIsCounted() throws Exception {
        TestServers.Server backend = servers.named("b");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("web", port, "", backend));
        try (SluiceJar sluice = SluiceJar.start("run", "--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=127.0.0.1:0")) {
            String metrics = metricsUrl(sluice.awaitLine("serving generation 1").text());
            assertThat(ask(loopback(port))).isEqualTo("b");

            Files.writeString(file, "services:\n  - name: web\n    listen: [\"127.0.0.1:" + port + "\"\n");
            // The counter appears with the first rejection.
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() ->
                    Admin.sum(Admin.get(metrics).body(), "sluice_rejected_objects_total", "kind", "config") >= 1);
            sluice.awaitLine(file + ".*still serving generation 1");
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(ask(loopback(port)));
            }
            assertThat(answers).containsOnly("b");
            assertThat(Admin.sum(Admin.get(metrics).body(), "sluice_table_generation")).isEqualTo(1.0);
        }
    }

    private static String metricsUrl(String servingLine) {
        String address = servingLine.replaceAll(".*metrics on (\\S+).*", "$1");
        return "http://" + address + "/metrics";
    }

    private static String ask(InetSocketAddress address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(5000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
