package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.proxy.SluiceJar;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI-sized scale check: 2,000 standalone services (one listen address and three backends
 * each) under {@code bin/sluice} with the launcher's own JVM options. Each service listens on its
 * own loopback address (127.13.x.y, one port), so the run holds 2,000 listening sockets, far
 * below the open-file limit. Sizes are asserted, never times.
 */
class ScaleIT {
    private static final int SERVICES = 2_000;
    /** Totals, JVM and kube-proxy meters; no per-service series by default. Measured: about 19 KiB. */
    private static final int METRICS_BOUND = 64 * 1024;
    /** One default page of 100 service ports. Measured: about 70 KiB. */
    private static final int STATUS_BOUND = 128 * 1024;
    /** Start-up, budget, a summary per kind of listener event, serving: a few lines, not one per service. */
    private static final int LOG_LINES_BOUND = 40;

    @TempDir
    Path dir;

    /** Shows that 2,000 services start, serve, keep /metrics and /status small and log in summaries, without an OutOfMemoryError. */
    @Test
    void twoThousandServicesServeWithSmallMetricsUnderTheDefaultLauncher() throws Exception {
        int port = NamedServers.freePort();
        int backendPort = NamedServers.freePort();
        StringBuilder yaml = new StringBuilder("services:\n");
        for (int i = 0; i < SERVICES; i++) {
            yaml.append("  - name: svc-").append(i).append('\n')
                    .append("    listen: \"").append(address(i)).append(':').append(port).append("\"\n")
                    // The first backend of each answers; the other two are never dialled while it does.
                    .append("    backends: [\"127.0.0.1:").append(backendPort).append("\", \"198.18.0.1:80\", ")
                    .append("\"198.18.0.2:80\"]\n");
        }
        Path config = Files.writeString(dir.resolve("scale.yaml"), yaml);

        try (NamedServers backend = NamedServers.open(backendPort, "127.0.0.1");
                SluiceJar sluice = SluiceJar.launch("run", "--config=" + config, "--healthz-bind-address=",
                        "--metrics-bind-address=127.0.0.1:0", "--balance=round-robin")) {
            sluice.awaitLine("memory budget: heap max \\d+ MiB, direct memory max \\d+ MiB, from ");
            String metricsAt = sluice.awaitGroup("serving generation 1: " + SERVICES + " service ports on " + SERVICES
                    + " listeners .*metrics on (\\S+)$");

            assertThat(NamedServers.ask(new InetSocketAddress(address(SERVICES - 1), port))).isEqualTo("127.0.0.1");
            String metrics = get("http://" + metricsAt + "/metrics");
            assertThat(metrics.length()).isLessThan(METRICS_BOUND);
            assertThat(metrics).contains("sluice_service_ports " + SERVICES + ".0\n", "sluice_connections_accepted_total 1.0\n")
                    .doesNotContain("sluice_service_connections_accepted_total{");
            String status = get("http://" + metricsAt + "/status");
            assertThat(status.length()).isLessThan(STATUS_BOUND);
            assertThat(status).contains("\"total\" : " + SERVICES);

            assertThat(sluice.isAlive()).isTrue();
            assertThat(sluice.output()).doesNotContain("OutOfMemoryError")
                    .contains(SERVICES + " new listen addresses bound; the first 3: ");
            assertThat(sluice.lineCount()).as(sluice.output()).isLessThan(LOG_LINES_BOUND);
        }
    }

    private static String address(int i) {
        return "127.13." + i / 250 + "." + (i % 250 + 1);
    }

    private static String get(String url) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
