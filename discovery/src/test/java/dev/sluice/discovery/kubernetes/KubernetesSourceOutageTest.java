package dev.sluice.discovery.kubernetes;

import static dev.sluice.discovery.kubernetes.Cluster.NODE;
import static dev.sluice.discovery.kubernetes.Cluster.backends;
import static dev.sluice.discovery.kubernetes.Cluster.key;
import static dev.sluice.discovery.kubernetes.Cluster.node;
import static dev.sluice.discovery.kubernetes.Cluster.service;
import static dev.sluice.discovery.kubernetes.Cluster.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Losing the API server after start-up stops nothing, and what changed meanwhile arrives on return. */
class KubernetesSourceOutageTest {

    @Test
    void lastTableStaysDuringAnOutageAndChangesMadeMeanwhileArriveWhenTheApiServerReturns() throws Exception {
        TablePublisher publisher = new TablePublisher();
        ExpiringWatches dispatcher = new ExpiringWatches();
        try (MockApi api = MockApi.serving(dispatcher)) {
            KubernetesClient client = api.client();
            client.resource(node(null)).create();
            client.resource(service("a", "198.18.0.10")).create();
            client.resource(slice("a", "a-1", "198.19.0.1")).create();
            client.resource(service("b", "198.18.0.11")).create();
            client.resource(slice("b", "b-1", "198.19.1.1")).create();
            try (KubernetesSource source = new KubernetesSource(client, NODE, Balance.ROUND_ROBIN, publisher,
                    SyncTracker.systemClock(), SyncObserver.NOOP, Duration.ofSeconds(10))) {
                source.start();
                await().until(source::watching);
                BackendTable before = publisher.current();
                int port = api.port();

                api.stop();
                await().until(() -> !source.watching());
                assertThat(publisher.current()).isSameAs(before);

                // Another API server with the same state stands in for the cluster changing while
                // this node cannot reach it: the source keeps knocking on the old port meanwhile.
                api.startOn(0);
                KubernetesClient meanwhile = api.client();
                meanwhile.resource(slice("a", "a-1", "198.19.0.9")).update();
                meanwhile.resource(slice("b", "b-1")).delete();
                meanwhile.resource(service("b", "198.18.0.11")).delete();
                meanwhile.resource(service("c", "198.18.0.12")).create();
                meanwhile.resource(slice("c", "c-1", "198.19.2.1")).create();
                api.stop();
                assertThat(publisher.current()).isSameAs(before);
                assertThat(before.get(key("a")).internalEndpoints()).isEqualTo(backends("198.19.0.1"));

                dispatcher.expire();
                api.startOn(port);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    BackendTable now = publisher.current();
                    assertThat(endpoints(now, "a")).isEqualTo(backends("198.19.0.9"));
                    assertThat(now.get(key("b"))).isNull();
                    assertThat(endpoints(now, "c")).isEqualTo(backends("198.19.2.1"));
                });
                await().until(source::watching);
            }
        }
    }

    private static Object endpoints(BackendTable table, String service) {
        ServiceEntry entry = table.get(key(service));
        return entry == null ? null : entry.internalEndpoints();
    }
}
