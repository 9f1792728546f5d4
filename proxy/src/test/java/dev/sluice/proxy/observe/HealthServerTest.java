package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.state.SyncTracker;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthServerTest {
    private static final Duration TIMEOUT = HealthServer.DEFAULT_TIMEOUT;
    private static final Instant START = Instant.parse("2026-01-02T03:04:05.600Z");

    @AutoClose
    private static final AdminEventLoop loop = new AdminEventLoop();

    private MutableClock clock;
    private SyncTracker tracker;
    private Metrics metrics;
    private HealthServer server;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        clock = new MutableClock(START);
        tracker = new SyncTracker(clock);
        metrics = new Metrics(() -> 0L, clock);
        server = new HealthServer(loop, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tracker, TIMEOUT,
                metrics.registry());
        address = server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    /** Before the first table is published neither probe passes, and "never" reads as Go's zero time. */
    @Test
    void bothProbesAre503BeforeTheFirstSync() throws Exception {
        HttpResponse<String> livez = Http.get(address, "/livez");
        HttpResponse<String> healthz = Http.get(address, "/healthz");

        assertThat(livez.statusCode()).isEqualTo(503);
        assertThat(livez.body()).isEqualTo(
                "{\"lastUpdated\":\"0001-01-01T00:00:00Z\",\"currentTime\":\"2026-01-02T03:04:05.6Z\",\"healthy\":false}");
        assertThat(healthz.statusCode()).isEqualTo(503);
        assertThat(healthz.body()).isEqualTo("{\"lastUpdated\":\"0001-01-01T00:00:00Z\","
                + "\"currentTime\":\"2026-01-02T03:04:05.6Z\",\"nodeEligible\":true,\"healthy\":false}");
    }

    /** After a sync both pass, with kube-proxy's headers and lastUpdated shown as the current time. */
    @Test
    void bothProbesAre200AfterAnUpdate() throws Exception {
        tracker.updated();
        clock.advance(Duration.ofMillis(250));

        HttpResponse<String> livez = Http.get(address, "/livez");
        HttpResponse<String> healthz = Http.get(address, "/healthz");

        assertThat(livez.statusCode()).isEqualTo(200);
        assertThat(livez.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(livez.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(livez.body()).isEqualTo(
                "{\"lastUpdated\":\"2026-01-02T03:04:05.85Z\",\"currentTime\":\"2026-01-02T03:04:05.85Z\",\"healthy\":true}");
        assertThat(healthz.statusCode()).isEqualTo(200);
        assertThat(healthz.body()).isEqualTo("{\"lastUpdated\":\"2026-01-02T03:04:05.85Z\","
                + "\"currentTime\":\"2026-01-02T03:04:05.85Z\",\"nodeEligible\":true,\"healthy\":true}");
    }

    /** A queued update may wait up to the timeout; one that waits longer makes both probes fail. */
    @Test
    void anUpdateQueuedPastTheTimeoutMakesTheProxyUnhealthy() throws Exception {
        tracker.updated();
        tracker.queued();
        clock.advance(TIMEOUT);
        assertThat(Http.get(address, "/livez").statusCode()).isEqualTo(200);

        clock.advance(Duration.ofSeconds(1));
        HttpResponse<String> livez = Http.get(address, "/livez");
        assertThat(livez.statusCode()).isEqualTo(503);
        assertThat(livez.body()).isEqualTo(
                "{\"lastUpdated\":\"2026-01-02T03:04:05.6Z\",\"currentTime\":\"2026-01-02T03:05:06.6Z\",\"healthy\":false}");
        assertThat(Http.get(address, "/healthz").statusCode()).isEqualTo(503);

        tracker.updated();
        assertThat(Http.get(address, "/livez").statusCode()).isEqualTo(200);
    }

    /** A node being deleted fails /healthz (readiness) but not /livez, and the body says why. */
    @Test
    void healthzFailsWhenTheNodeIsNotEligible() throws Exception {
        tracker.updated();
        tracker.nodeEligible(false);

        HttpResponse<String> healthz = Http.get(address, "/healthz");

        assertThat(healthz.statusCode()).isEqualTo(503);
        assertThat(healthz.body()).isEqualTo("{\"lastUpdated\":\"2026-01-02T03:04:05.6Z\","
                + "\"currentTime\":\"2026-01-02T03:04:05.6Z\",\"nodeEligible\":false,\"healthy\":true}");
        assertThat(Http.get(address, "/livez").statusCode()).isEqualTo(200);
    }

    /** Every probe is counted by its answer under kube-proxy's counter names. */
    @Test
    void probesAreCountedByCode() throws Exception {
        Http.get(address, "/livez");
        tracker.updated();
        Http.get(address, "/livez");
        Http.get(address, "/livez");
        Http.get(address, "/healthz");

        String scrape = metrics.scrape();
        assertThat(scrape)
                .contains("kubeproxy_proxy_livez_total{code=\"200\"} 2.0\n")
                .contains("kubeproxy_proxy_livez_total{code=\"503\"} 1.0\n")
                .contains("kubeproxy_proxy_healthz_total{code=\"200\"} 1.0\n")
                .contains("kubeproxy_proxy_healthz_total{code=\"503\"} 0.0\n");
    }

    /** Only the two probe paths exist, only for reading; HEAD gets the headers without a body. */
    @Test
    void otherPathsAndMethodsAreRefused() throws Exception {
        tracker.updated();
        assertThat(Http.get(address, "/metrics").statusCode()).isEqualTo(404);
        HttpResponse<String> post = Http.send(address, "/livez", "POST");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");

        HttpResponse<String> head = Http.send(address, "/livez", "HEAD");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValueAsLong("content-length"))
                .hasValue(Http.get(address, "/livez").body().length());
    }

    /** kube-proxy's health timeout is twice the sync period; its default sync period is 30 s. */
    @Test
    void timeoutIsTwiceTheSyncPeriod() {
        assertThat(HealthServer.timeoutFor(Duration.ofSeconds(30))).isEqualTo(HealthServer.DEFAULT_TIMEOUT);
    }
}
