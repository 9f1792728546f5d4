package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.config;
import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.proxy.SluiceJar;
import dev.sluice.proxy.cli.Main;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The admin endpoints are local and read-only, and no client byte reaches the log. */
class AdminSecurityIT {
    private static final List<String> PATHS = List.of("/metrics", "/healthz", "/livez");
    private static final List<String> WRITES = List.of("POST", "PUT", "DELETE", "PATCH");
    @AutoClose
    private static final TestServers servers = new TestServers();

    @TempDir
    Path dir;

    /** Metrics are served on loopback unless the operator says otherwise, by run and demo alike. */
    @Test
    void metricsListenOnLoopbackByDefault() {
        CommandLine cli = Main.commandLine();
        for (String command : List.of("run", "demo")) {
            assertThat(cli.getSubcommands().get(command).getCommandSpec().findOption("--metrics-bind-address")
                    .defaultValue()).as(command).isEqualTo("127.0.0.1:10249");
        }
    }

    /**
     * POST, PUT, DELETE and PATCH to /metrics, /healthz and /livez get 405 with {@code Allow: GET,
     * HEAD}, and change nothing: health, table generation and forwarding are as before.
     */
    @Test
    void writesToAdminEndpointsGet405AndChangeNothing() throws Exception {
        TestServers.Server backend = servers.named("b");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("web", port, "", backend));
        try (SluiceJar sluice = SluiceJar.start("run", "--config=" + file, "--healthz-bind-address=127.0.0.1:0",
                "--metrics-bind-address=127.0.0.1:0")) {
            Map<String, String> admin = adminUrls(sluice.awaitLine("serving generation 1").text());
            String before = state(admin);
            for (String path : PATHS) {
                String url = admin.get(path);
                for (String method : WRITES) {
                    HttpResponse<String> response = Admin.send(method, url, "generation=99&healthy=false");
                    assertThat(response.statusCode()).as("%s %s", method, path).isEqualTo(405);
                    assertThat(response.headers().firstValue("Allow")).as("%s %s", method, path).hasValue("GET, HEAD");
                }
            }
            assertThat(state(admin)).isEqualTo(before);
            assertThat(ask(loopback(port))).isEqualTo("b");
        }
    }

    /** The health answers, the table generation and the configured services, as GETs report them. */
    private static String state(Map<String, String> admin) {
        HttpResponse<String> healthz = Admin.get(admin.get("/healthz"));
        HttpResponse<String> livez = Admin.get(admin.get("/livez"));
        String metrics = Admin.get(admin.get("/metrics")).body();
        return "healthz " + healthz.statusCode() + ", livez " + livez.statusCode()
                + ", generation " + Admin.sum(metrics, "sluice_table_generation")
                + ", web listed " + metrics.contains("service=\"web\"");
    }

    /**
     * A marker sent through the proxy (forwarded, and refused for want of endpoints) and to the
     * admin ports (in a path, a header, a body, and a malformed request) never appears in the
     * log, even at {@code -v=6}, which does log each refused connection.
     */
    @Test
    void clientBytesNeverReachTheLogEvenAtVerbosity6() throws Exception {
        String marker = "MARKER-" + UUID.randomUUID();
        TestServers.Server echo = servers.echo("echo");
        int port = freePort();
        int empty = freePort();
        Path file = config(dir.resolve("sluice.yaml"),
                service("web", port, "", echo),
                "  - name: empty\n    listen: [\"127.0.0.1:" + empty + "\"]\n    backends: []\n");
        try (SluiceJar sluice = SluiceJar.start("run", "--config=" + file, "--healthz-bind-address=127.0.0.1:0",
                "--metrics-bind-address=127.0.0.1:0", "-v=6")) {
            Map<String, String> admin = adminUrls(sluice.awaitLine("serving generation 1").text());

            try (Socket socket = new Socket()) {
                socket.connect(loopback(port), 2000);
                socket.setSoTimeout(5000);
                byte[] sent = marker.getBytes(StandardCharsets.UTF_8);
                socket.getOutputStream().write(sent);
                assertThat(new String(socket.getInputStream().readNBytes(sent.length), StandardCharsets.UTF_8))
                        .isEqualTo(marker);
            }
            sendRaw(loopback(empty), marker);
            sluice.awaitLine("\\[/?empty\\] reset client .*no_endpoints");

            for (String url : admin.values()) {
                Admin.get(url + "/" + marker + "?q=" + marker);
                Admin.send("POST", url, marker);
            }
            InetSocketAddress health = address(admin.get("/healthz"));
            sendRaw(health, "GET /" + marker + " HTTP/1.1\r\nHost: x\r\nX-Marker: " + marker + "\r\n\r\n");
            sendRaw(health, marker + " " + marker + "\r\n\r\n");
            sendRaw(address(admin.get("/metrics")), "GET /metrics HTTP/1.1\r\n" + marker.repeat(400) + "\r\n\r\n");

            sluice.terminate();
            assertThat(sluice.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(sluice.output()).contains("DEBUG").doesNotContain(marker);
        }
    }

    /** Writes {@code text} and reads until the server closes or 2 s pass. */
    private static void sendRaw(InetSocketAddress address, String text) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            in.read(new byte[4096]);
        } catch (IOException e) {
            // A reset or a timeout is an answer too; what matters is what the proxy logged.
        }
    }

    /** {@code /healthz}, {@code /livez} and {@code /metrics} URLs from the "serving generation" line. */
    private static Map<String, String> adminUrls(String servingLine) {
        Matcher health = Pattern.compile("health on (\\S+?),").matcher(servingLine);
        Matcher metrics = Pattern.compile("metrics on (\\S+)").matcher(servingLine);
        assertThat(health.find() && metrics.find()).as("admin addresses in: %s", servingLine).isTrue();
        return Map.of("/healthz", "http://" + health.group(1) + "/healthz",
                "/livez", "http://" + health.group(1) + "/livez",
                "/metrics", "http://" + metrics.group(1) + "/metrics");
    }

    private static InetSocketAddress address(String url) {
        Matcher matcher = Pattern.compile("http://([^:/]+):(\\d+)/").matcher(url);
        assertThat(matcher.find()).isTrue();
        return new InetSocketAddress(matcher.group(1), Integer.parseInt(matcher.group(2)));
    }

    private static String ask(InetSocketAddress address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(5000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
