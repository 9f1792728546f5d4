package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.SluiceJar;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real jar as users start it: its commands, flags, errors and signals. */
class SluiceCommandIT {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void helpListsEveryCommandAndFlag() throws Exception {
        try (SluiceJar sluice = SluiceJar.start("--help")) {
            assertThat(sluice.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(sluice.output()).contains("Usage: sluice run", "Usage: sluice demo", "Usage: sluice explain",
                    "--kubeconfig", "--nodeport-addresses", "--healthz-bind-address", "--shutdown-grace");
        }
    }

    @Test
    void demoRoundRobinsOverThreeBackendsAndCountsConnections() throws Exception {
        int port = NamedServers.freePort();
        try (SluiceJar sluice = SluiceJar.start("demo", "--listen=127.0.0.1:" + port,
                "--healthz-bind-address=127.0.0.1:0", "--metrics-bind-address=127.0.0.1:0")) {
            String metrics = sluice.awaitGroup("Metrics: +curl -s (http://\\S+/metrics)");
            String health = sluice.awaitGroup("Health: +curl -s (http://\\S+/healthz)");
            Map<String, Integer> answers = new TreeMap<>();
            for (int i = 0; i < 6; i++) {
                String body = getOnNewConnection(port);
                answers.merge(body.replaceAll(" \\(.*", "").trim(), 1, Integer::sum);
            }
            assertThat(answers).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "Hello from backend-1", 2, "Hello from backend-2", 2, "Hello from backend-3", 2));
            assertThat(get(health).statusCode()).isEqualTo(200);
            assertThat(get(metrics).body())
                    .containsPattern("sluice_service_connections_accepted_total\\{[^}]*service=\"web\"[^}]*\\} 6\\.0")
                    .containsPattern("sluice_service_bytes_total\\{direction=\"to_client\"[^}]*service=\"web\"[^}]*\\} [1-9]")
                    .contains("sluice_connections_accepted_total 6.0");
            sluice.terminate();
            assertThat(sluice.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    /** Shows that the demo's self-test reaches every backend through the proxy and then exits 0 on its own. */
    @Test
    void demoCheckReachesEveryBackendAndExitsZero() throws Exception {
        try (SluiceJar sluice = SluiceJar.start("demo", "--check", "--backend-count=2")) {
            assertThat(sluice.awaitExit(Duration.ofSeconds(30))).isZero();
            assertThat(sluice.output()).containsPattern(
                    "demo check: 2 of 2 backends answered through 127\\.0\\.0\\.1:\\d+ \\[backend-1, backend-2\\]");
        }
    }

    /**
     * Shows that {@code bin/sluice} starts from the class-data archive the build recorded beside
     * the jar (the JVM logs opening it when asked to log class-data sharing).
     */
    @Test
    void theLauncherStartsFromTheBuildsClassDataArchive() throws Exception {
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        Path archive = jar.resolveSibling("sluice.jsa");
        assertThat(archive).exists();
        ProcessBuilder launcher = new ProcessBuilder(Path.of("..", "bin", "sluice").toString(), "--version")
                .redirectErrorStream(true);
        launcher.environment().put("SLUICE_JAR", jar.toString());
        launcher.environment().put("JAVA_OPTS", "-Xlog:cds=info");
        Process process = launcher.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        // JDK 17 logs "Opened archive PATH.", JDK 25 "Opened shared archive file PATH.".
        assertThat(output).containsPattern("Opened (shared )?archive (file )?" + Pattern.quote(archive.toString()));
    }

    @Test
    void sigtermStopsAcceptingAndLetsAConnectionInFlightFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch requested = new CountDownLatch(1);
        try (ServerSocket backend = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket socket = backend.accept()) {
                    socket.getInputStream().read();
                    requested.countDown();
                    release.await();
                    socket.getOutputStream().write("done".getBytes(StandardCharsets.UTF_8));
                } catch (IOException | InterruptedException e) {
                    // The test fails on the client side if the answer never comes.
                }
            }, "held-backend");
            server.setDaemon(true);
            server.start();
            int port = NamedServers.freePort();
            Path config = write("services:\n  - name: held\n    listen: [\"127.0.0.1:" + port + "\"]\n"
                    + "    backends: [\"127.0.0.1:" + backend.getLocalPort() + "\"]\n");
            try (SluiceJar sluice = SluiceJar.start("run", "--config=" + config, "--shutdown-grace=20s",
                    "--healthz-bind-address=", "--metrics-bind-address=")) {
                sluice.awaitLine("serving generation 1");
                InetSocketAddress front = new InetSocketAddress("127.0.0.1", port);
                try (Socket client = new Socket()) {
                    client.connect(front, 5000);
                    client.setSoTimeout(20000);
                    client.getOutputStream().write('?');
                    assertThat(requested.await(10, TimeUnit.SECONDS)).isTrue();

                    sluice.terminate();
                    sluice.awaitLine("stopped accepting");
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                            assertThatThrownBy(() -> new Socket().connect(front, 1000)).isInstanceOf(ConnectException.class));
                    assertThat(sluice.isAlive()).isTrue();

                    release.countDown();
                    InputStream in = client.getInputStream();
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("done");
                }
                assertThat(sluice.awaitExit(Duration.ofSeconds(20))).isZero();
            }
        }
    }

    @Test
    void aBadConfigAtStartUpExitsNonZeroNamingFileLineAndField() throws Exception {
        Path config = write("services:\n  - name: web\n    listen: [\"127.0.0.1:99999\"]\n    backends: []\n");
        try (SluiceJar sluice = SluiceJar.start("run", "--config=" + config,
                "--healthz-bind-address=", "--metrics-bind-address=")) {
            assertThat(sluice.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(sluice.output()).contains(config + ":3:", "services[0].listen[0]", "127.0.0.1:99999", "expected");
        }
    }

    @Test
    void aBadFlagValueIsNamedWithWhatWasExpected() throws Exception {
        try (SluiceJar sluice = SluiceJar.start("run", "--connect-timeout=soon", "--config=x.yaml")) {
            assertThat(sluice.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(sluice.output()).contains("--connect-timeout", "soon", "expected");
        }
    }

    @Test
    void anAdminAddressInUseFailsStartUpNamingTheFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = write("services:\n  - name: web\n    listen: [\"127.0.0.1:" + NamedServers.freePort()
                    + "\"]\n    backends: []\n");
            try (SluiceJar sluice = SluiceJar.start("run", "--config=" + config,
                    "--healthz-bind-address=", "--metrics-bind-address=127.0.0.1:" + taken.getLocalPort())) {
                assertThat(sluice.awaitExit(Duration.ofSeconds(30))).isNotZero();
                assertThat(sluice.output()).contains("metrics-bind-address", String.valueOf(taken.getLocalPort()));
            }
        }
    }

    private Path write(String yaml) throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** One HTTP/1.0 request on its own TCP connection: Sluice balances connections, not requests. */
    private static String getOnNewConnection(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10000);
            socket.getOutputStream().write("GET / HTTP/1.0\r\nHost: demo\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 200");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

}
