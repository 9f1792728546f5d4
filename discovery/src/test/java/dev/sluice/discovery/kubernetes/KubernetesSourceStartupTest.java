package dev.sluice.discovery.kubernetes;

import static dev.sluice.discovery.kubernetes.Cluster.NODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Start-up failures end {@link KubernetesSource#start()} quickly, with a message that says why. */
class KubernetesSourceStartupTest {
    private final TablePublisher publisher = new TablePublisher();
    private final SyncTracker tracker = SyncTracker.systemClock();

    private KubernetesSource source(KubernetesClient client, Duration timeout) {
        return new KubernetesSource(client, NODE, Balance.ROUND_ROBIN, publisher, tracker, SyncObserver.NOOP, timeout);
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void closedPortFailsAtTheTimeoutNamingEachResourceWhileTheClientStillRetries() throws IOException {
        int port = closedPort();
        // The client's default retries (about 19 s for a refused connection) outlast the timeout.
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + port + "/").build();
        Duration timeout = Duration.ofSeconds(2);
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            KubernetesSource source = source(client, timeout);
            long began = System.nanoTime();

            assertThatThrownBy(source::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("services: cannot reach http://127.0.0.1:" + port + "/: Connection refused")
                    .hasMessageContaining("endpointslices.discovery.k8s.io: cannot reach");

            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(timeout.plusSeconds(3));
            assertThat(publisher.current().generation()).isZero();
            assertThat(tracker.synced()).isFalse();
        }
    }

    @Test
    void closedPortFailsBeforeTheTimeoutWhenTheClientGivesUpFirst() throws IOException {
        int port = closedPort();
        Duration timeout = Duration.ofSeconds(30);
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(MockApi.config(port)).build()) {
            KubernetesSource source = source(client, timeout);
            long began = System.nanoTime();

            assertThatThrownBy(source::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageMatching("(services|endpointslices\\.discovery\\.k8s\\.io|nodes): cannot reach "
                            + "http://127\\.0\\.0\\.1:" + port + "/: Connection refused");

            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
            assertThat(publisher.current().generation()).isZero();
        }
    }

    @Test
    void forbiddenListFailsFastNamingTheResourceAndTheRbacItNeeds() {
        // Lists of services and nodes work; endpointslices are forbidden, as with an RBAC role missing them.
        KubernetesCrudDispatcher forbidSlices = new KubernetesCrudDispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (request.getPath().startsWith("/apis/discovery.k8s.io/v1/endpointslices")) {
                    return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403,\"message\":"
                            + "\"endpointslices.discovery.k8s.io is forbidden: User \\\"system:serviceaccount:kube-system:sluice\\\" "
                            + "cannot list resource \\\"endpointslices\\\" in API group \\\"discovery.k8s.io\\\" at the cluster scope\"}");
                }
                return super.dispatch(request);
            }
        };
        Duration timeout = Duration.ofSeconds(30);
        try (MockApi api = MockApi.serving(forbidSlices)) {
            KubernetesSource source = source(api.client(), timeout);
            long began = System.nanoTime();

            assertThatThrownBy(source::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("endpointslices.discovery.k8s.io: 403 Forbidden "
                            + "(expected: get/list/watch permission, see deploy/rbac.yaml)");

            assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(10));
            assertThat(publisher.current().generation()).isZero();
        }
    }
}
