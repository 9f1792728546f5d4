package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.proxy.TestPorts;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HealthCheckNodePortsTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @AutoClose
    private static final AdminEventLoop loop = new AdminEventLoop();

    private MutableClock clock;
    private SyncTracker tracker;
    private TablePublisher publisher;
    private HealthCheckNodePorts ports;
    private long generation;

    @BeforeEach
    void start() {
        clock = new MutableClock(Instant.parse("2026-01-02T03:04:05Z"));
        tracker = new SyncTracker(clock);
        tracker.updated();
        publisher = new TablePublisher();
        ports = new HealthCheckNodePorts(loop, LOOPBACK, tracker, TIMEOUT);
        publisher.addListener(ports);
    }

    @AfterEach
    void stop() {
        ports.close();
    }

    /** A Service with local endpoints and a healthy proxy answers 200 with kube-proxy's headers and body, on any path. */
    @Test
    void answers200WhenTheServiceHasLocalEndpoints() throws Exception {
        int port = freePort();
        publish(entry("shop", "web", "http", port, 2));

        HttpResponse<String> response = Http.get(at(port), "/any/path?x=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("x-load-balancing-endpoint-weight")).hasValue("2");
        assertThat(response.body()).isEqualTo(
                "{\"service\":{\"namespace\":\"shop\",\"name\":\"web\"},\"localEndpoints\":2,\"serviceProxyHealthy\":true}");
    }

    /** No local endpoint means 503 and weight 0, so the load balancer skips this node. */
    @Test
    void answers503WithoutLocalEndpoints() throws Exception {
        int port = freePort();
        publish(entry("shop", "web", "http", port, 0));

        HttpResponse<String> response = Http.get(at(port), "/healthz");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-load-balancing-endpoint-weight")).hasValue("0");
        assertThat(response.body()).isEqualTo(
                "{\"service\":{\"namespace\":\"shop\",\"name\":\"web\"},\"localEndpoints\":0,\"serviceProxyHealthy\":true}");
    }

    /** An unhealthy proxy fails every health-check node port even with local endpoints. */
    @Test
    void answers503WhenTheProxyIsUnhealthy() throws Exception {
        int port = freePort();
        publish(entry("shop", "web", "http", port, 3));
        tracker.queued();
        clock.advance(TIMEOUT.plusSeconds(1));

        HttpResponse<String> response = Http.get(at(port), "/");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("x-load-balancing-endpoint-weight")).hasValue("3");
        assertThat(response.body()).isEqualTo(
                "{\"service\":{\"namespace\":\"shop\",\"name\":\"web\"},\"localEndpoints\":3,\"serviceProxyHealthy\":false}");
    }

    /** A Service's count is the largest over its ports and families, and follows the table without reopening. */
    @Test
    void countFollowsTheTableAcrossPortsOfOneService() throws Exception {
        int port = freePort();
        publish(entry("shop", "web", "http", port, 1), entry("shop", "web", "https", port, 3));
        assertThat(Http.get(at(port), "/").headers().firstValue("x-load-balancing-endpoint-weight")).hasValue("3");

        publish(entry("shop", "web", "http", port, 1), entry("shop", "web", "https", port, 0));
        HttpResponse<String> response = Http.get(at(port), "/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-load-balancing-endpoint-weight")).hasValue("1");
        assertThat(ports.openPorts()).isEqualTo(Map.of("shop/web", port));
    }

    /** Ports open and close as Services gain, change and lose their health-check node port. */
    @Test
    void portsOpenAndCloseWithTheTable() throws Exception {
        int first = freePort();
        int second = freePort();
        publish(entry("shop", "web", "http", first, 1), entry("shop", "db", "sql", 0, 1));
        assertThat(ports.openPorts()).isEqualTo(Map.of("shop/web", first));
        assertThat(Http.get(at(first), "/").statusCode()).isEqualTo(200);

        publish(entry("shop", "web", "http", second, 1), entry("shop", "db", "sql", 0, 1));
        assertThat(ports.openPorts()).isEqualTo(Map.of("shop/web", second));
        assertThat(Http.get(at(second), "/").statusCode()).isEqualTo(200);
        assertRefused(first);

        publish(entry("shop", "db", "sql", 0, 1));
        assertThat(ports.openPorts()).isEmpty();
        assertRefused(second);
    }

    /** A port someone else holds is logged, does not stop other Services, and is retried at the next publication. */
    @Test
    void aPortThatCannotBeBoundIsRetriedLater() throws Exception {
        int taken;
        int other = freePort();
        try (ServerSocket squatter = new ServerSocket(0, 1, LOOPBACK)) {
            taken = squatter.getLocalPort();
            publish(entry("shop", "web", "http", taken, 1), entry("shop", "api", "grpc", other, 1));

            assertThat(ports.openPorts()).isEqualTo(Map.of("shop/api", other));
            assertThat(Http.get(at(other), "/").statusCode()).isEqualTo(200);
        }

        publish(entry("shop", "web", "http", taken, 1), entry("shop", "api", "grpc", other, 2));

        assertThat(ports.openPorts()).isEqualTo(Map.of("shop/web", taken, "shop/api", other));
        assertThat(Http.get(at(taken), "/").statusCode()).isEqualTo(200);
    }

    /** After close every port is released and later tables open nothing. */
    @Test
    void closeReleasesEveryPort() throws Exception {
        int port = freePort();
        publish(entry("shop", "web", "http", port, 1));
        ports.close();

        assertRefused(port);
        publish(entry("shop", "web", "http", port, 2));
        assertThat(ports.openPorts()).isEmpty();
    }

    private void publish(ServiceEntry... entries) {
        publisher.publish(BackendTable.of(++generation, List.of(entries)));
    }

    private static ServiceEntry entry(String namespace, String name, String port, int healthCheckNodePort, int local) {
        ServicePolicy policy = new ServicePolicy(false, true, null, List.of(), healthCheckNodePort, Balance.ROUND_ROBIN, 0);
        ServicePortKey key = new ServicePortKey(namespace, name, port, Protocol.TCP, IpFamily.IPv4);
        return new ServiceEntry(key, List.of(), List.of(), List.of(), policy, local, local);
    }

    private static InetSocketAddress at(int port) {
        return new InetSocketAddress(LOOPBACK, port);
    }

    private static void assertRefused(int port) {
        assertThatThrownBy(() -> Http.get(at(port), "/")).isInstanceOf(ConnectException.class);
    }

    private static int freePort() {
        return TestPorts.free();
    }
}
