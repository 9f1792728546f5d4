package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    @AutoClose
    private static final AdminEventLoop loop = new AdminEventLoop();

    private final AtomicLong generation = new AtomicLong(7);
    private MutableClock clock;
    private Metrics metrics;
    private MetricsServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        clock = new MutableClock(Instant.parse("2026-01-02T03:04:05.250Z"));
        metrics = new Metrics(generation::get, clock);
        server = new MetricsServer(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), metrics);
        address = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    /** What the sync observer is told shows up over HTTP under kube-proxy's exact names and types. */
    @Test
    void scrapeCarriesKubeProxySyncMetrics() throws Exception {
        metrics.syncObserver().synced(Duration.ofMillis(3), 2, 5);
        metrics.syncObserver().synced(Duration.ofMillis(20), 1, 0);
        metrics.syncObserver().networkProgrammed(Duration.ofMillis(1500));
        metrics.syncObserver().noLocalEndpoints(1, 4);

        HttpResponse<String> response = Http.get(address, "/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(response.body())
                .contains("# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n")
                .contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.002\"} 0\n")
                .contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 1\n")
                .contains("kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.032\"} 2\n")
                .contains("kubeproxy_sync_proxy_rules_duration_seconds_count 2\n")
                .contains("kubeproxy_sync_proxy_rules_duration_seconds_sum 0.023\n")
                .contains("# TYPE kubeproxy_network_programming_duration_seconds histogram\n")
                .contains("kubeproxy_network_programming_duration_seconds_bucket{le=\"1.0\"} 0\n")
                .contains("kubeproxy_network_programming_duration_seconds_bucket{le=\"2.0\"} 1\n")
                .contains("# TYPE kubeproxy_sync_proxy_rules_service_changes_total counter\n")
                .contains("kubeproxy_sync_proxy_rules_service_changes_total 3.0\n")
                .contains("# TYPE kubeproxy_sync_proxy_rules_endpoint_changes_total counter\n")
                .contains("kubeproxy_sync_proxy_rules_endpoint_changes_total 5.0\n")
                .contains("# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge\n")
                .contains("kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.76732304525E9\n")
                .contains("# TYPE kubeproxy_sync_proxy_rules_no_local_endpoints_total gauge\n")
                .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"internal\"} 1.0\n")
                .contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy=\"external\"} 4.0\n")
                .doesNotContain("kubeproxy_sync_proxy_rules_no_local_endpoints{")
                .doesNotContain("_duration_seconds_max");
    }

    /** The histograms use kube-proxy's bucket bounds exactly, including the bucket at 0. */
    @Test
    void histogramsUseKubeProxyBuckets() throws Exception {
        String body = Http.get(address, "/metrics").body();

        List<Double> sync = bounds(body, "kubeproxy_sync_proxy_rules_duration_seconds");
        List<Double> expectedSync = new ArrayList<>();
        for (int i = 0; i < 15; i++) {
            expectedSync.add(0.001 * (1 << i));
        }
        expectedSync.add(Double.POSITIVE_INFINITY);
        assertThat(sync).containsExactlyElementsOf(expectedSync);

        List<Double> programming = bounds(body, "kubeproxy_network_programming_duration_seconds");
        List<Double> expectedProgramming = new ArrayList<>(List.of(0.0, 0.25, 0.5));
        for (int s = 1; s <= 59; s++) {
            expectedProgramming.add((double) s);
        }
        for (int s = 60; s <= 115; s += 5) {
            expectedProgramming.add((double) s);
        }
        for (int s = 120; s <= 300; s += 30) {
            expectedProgramming.add((double) s);
        }
        expectedProgramming.add(Double.POSITIVE_INFINITY);
        assertThat(programming).containsExactlyElementsOf(expectedProgramming);
    }

    /** Rejections are counted by kind and reason; the table generation is read at scrape time. */
    @Test
    void scrapeCarriesSluiceMeters() throws Exception {
        metrics.syncObserver().rejected("Service", "invalid-port");
        metrics.syncObserver().rejected("Service", "invalid-port");
        metrics.syncObserver().rejected("EndpointSlice", "no-service-name");
        generation.set(42);

        String body = Http.get(address, "/metrics").body();

        assertThat(body)
                .contains("sluice_rejected_objects_total{kind=\"Service\",reason=\"invalid-port\"} 2.0\n")
                .contains("sluice_rejected_objects_total{kind=\"EndpointSlice\",reason=\"no-service-name\"} 1.0\n")
                .contains("sluice_table_generation 42.0\n")
                .contains("sluice_netty_allocator_used_direct_memory_bytes ")
                .contains("jvm_memory_used_bytes{")
                .contains("jvm_threads_live_threads ")
                .contains("process_uptime_seconds ");
    }

    /** Only GET and HEAD of /metrics are served. */
    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        assertThat(Http.get(address, "/").statusCode()).isEqualTo(404);
        assertThat(Http.get(address, "/metrics/extra").statusCode()).isEqualTo(404);
        assertThat(Http.send(address, "/metrics", "POST").statusCode()).isEqualTo(405);
        assertThat(Http.send(address, "/metrics", "DELETE").statusCode()).isEqualTo(405);
        HttpResponse<String> head = Http.send(address, "/metrics", "HEAD");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    /** Without a status source /status does not exist; with one it is served read-only as JSON, one page per query. */
    @Test
    void statusIsServedOnlyWhenGivenASource() throws Exception {
        assertThat(Http.get(address, "/status").statusCode()).isEqualTo(404);

        MetricsServer withStatus = new MetricsServer(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics, page -> "{\"generation\": 7, \"page\": \"" + page + "\"}\n");
        InetSocketAddress other = withStatus.start();
        try {
            HttpResponse<String> response = Http.get(other, "/status?ignored=1");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
            assertThat(response.body()).isEqualTo("{\"generation\": 7, \"page\": \"" + StatusPage.FIRST + "\"}\n");
            assertThat(Http.get(other, "/status?service=ns/web&offset=10&limit=20").body())
                    .contains(new StatusPage("ns/web", 10, 20).toString());
            HttpResponse<String> tooLarge = Http.get(other, "/status?limit=50000");
            assertThat(tooLarge.statusCode()).isEqualTo(400);
            assertThat(tooLarge.body()).isEqualTo("400 limit: 50000 (expected: 1..5000)\n");
            assertThat(Http.get(other, "/status?offset=x").body()).isEqualTo("400 offset: x (expected: an integer)\n");
            assertThat(Http.send(other, "/status", "POST").statusCode()).isEqualTo(405);
            assertThat(Http.get(other, "/metrics").statusCode()).isEqualTo(200);
        } finally {
            withStatus.close();
        }
    }

    /** A status source that throws answers 500 and leaves the connection usable for the next request. */
    @Test
    void failingStatusSourceAnswers500() throws Exception {
        MetricsServer failing = new MetricsServer(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                metrics, page -> {
                    throw new IllegalStateException("broken on purpose");
                });
        InetSocketAddress other = failing.start();
        try {
            assertThat(Http.get(other, "/status").statusCode()).isEqualTo(500);
            assertThat(Http.get(other, "/metrics").statusCode()).isEqualTo(200);
        } finally {
            failing.close();
        }
    }

    private static List<Double> bounds(String body, String histogram) {
        Matcher matcher = Pattern.compile("^" + histogram + "_bucket\\{le=\"([^\"]+)\"}", Pattern.MULTILINE).matcher(body);
        List<Double> bounds = new ArrayList<>();
        while (matcher.find()) {
            bounds.add(matcher.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(matcher.group(1)));
        }
        return bounds;
    }
}
