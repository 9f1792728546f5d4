package dev.sluice.discovery.kubernetes;

import static dev.sluice.discovery.kubernetes.Cluster.NAMESPACE;
import static dev.sluice.discovery.kubernetes.Cluster.NODE;
import static dev.sluice.discovery.kubernetes.Cluster.backends;
import static dev.sluice.discovery.kubernetes.Cluster.key;
import static dev.sluice.discovery.kubernetes.Cluster.node;
import static dev.sluice.discovery.kubernetes.Cluster.service;
import static dev.sluice.discovery.kubernetes.Cluster.slice;
import static dev.sluice.discovery.kubernetes.Cluster.zoned;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetAddress;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** KubernetesSource against the fabric8 mock API server in CRUD mode. */
class KubernetesSourceTest {
    private final TablePublisher publisher = new TablePublisher();
    private final List<TableChange> changes = new CopyOnWriteArrayList<>();
    private final SyncTracker tracker = SyncTracker.systemClock();
    private MockApi api;
    private KubernetesClient client;
    private KubernetesSource source;

    @BeforeEach
    void setUp() {
        api = MockApi.crud();
        client = api.client();
        publisher.addListener(changes::add);
    }

    @AfterEach
    void tearDown() {
        if (source != null) {
            source.close();
        }
        api.close();
    }

    private KubernetesSource start() throws Exception {
        return start(SyncObserver.NOOP);
    }

    private KubernetesSource start(SyncObserver observer) throws Exception {
        source = new KubernetesSource(client, NODE, Balance.ROUND_ROBIN, publisher, tracker, observer,
                Duration.ofSeconds(10));
        source.start();
        return source;
    }

    private List<Backend> endpoints(String service) {
        ServiceEntry entry = publisher.current().get(key(service));
        return entry == null ? null : entry.internalEndpoints();
    }

    /** Replaces a slice's content, as the EndpointSlice controller does. */
    private void put(EndpointSlice slice) {
        client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).withName(slice.getMetadata().getName())
                .edit(existing -> {
                    slice.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
                    return slice;
                });
    }

    @Test
    void firstPublishedTableAlreadyHoldsServicesWhoseSlicesExistedBeforeStart() throws Exception {
        client.resource(node(null)).create();
        client.resource(service("web", "198.18.0.10")).create();
        client.resource(slice("web", "web-a", "198.19.0.1")).create();
        client.resource(service("api", "198.18.0.11")).create();
        client.resource(slice("api", "api-a", "198.19.1.1", "198.19.1.2")).create();

        start();

        assertThat(changes).isNotEmpty();
        BackendTable first = changes.get(0).current();
        assertThat(first.generation()).isEqualTo(1);
        assertThat(first.get(key("web")).internalEndpoints()).isEqualTo(backends("198.19.0.1"));
        assertThat(first.get(key("web")).frontends())
                .containsExactly(new Frontend(FrontendType.CLUSTER_IP, InetAddress.getByName("198.18.0.10"), 80));
        assertThat(first.get(key("api")).internalEndpoints()).isEqualTo(backends("198.19.1.1", "198.19.1.2"));
        assertThat(changes.get(0).changed()).containsExactlyInAnyOrder(key("web"), key("api"));
        assertThat(tracker.synced()).isTrue();
        assertThat(tracker.nodeEligible()).isTrue();
    }

    @Test
    void tableFollowsServiceAndSliceAddsUpdatesAndDeletes() throws Exception {
        client.resource(node(null)).create();
        start();
        assertThat(publisher.current().size()).isZero();

        client.resource(service("web", "198.18.0.10")).create();
        await().until(() -> endpoints("web"), List::isEmpty);

        client.resource(slice("web", "web-a", "198.19.0.1")).create();
        await().until(() -> endpoints("web"), backends("198.19.0.1")::equals);

        put(slice("web", "web-a", "198.19.0.2", "198.19.0.3"));
        await().until(() -> endpoints("web"), backends("198.19.0.2", "198.19.0.3")::equals);

        client.resource(slice("web", "web-a")).delete();
        await().until(() -> endpoints("web"), List::isEmpty);

        client.resource(service("web", "198.18.0.10")).delete();
        await().until(() -> publisher.current().get(key("web")) == null);
        assertThat(changes.get(changes.size() - 1).changed()).containsExactly(key("web"));
    }

    @Test
    void sliceChangeOfOneServiceKeepsTheOtherEntryInstanceAndLeavesItOutOfTheChange() throws Exception {
        client.resource(node(null)).create();
        client.resource(service("a", "198.18.0.10")).create();
        client.resource(slice("a", "a-1", "198.19.0.1")).create();
        client.resource(service("b", "198.18.0.11")).create();
        client.resource(slice("b", "b-1", "198.19.1.1")).create();
        start();
        ServiceEntry b = publisher.current().get(key("b"));
        int published = changes.size();

        put(slice("a", "a-1", "198.19.0.9"));
        await().until(() -> endpoints("a"), backends("198.19.0.9")::equals);

        assertThat(publisher.current().get(key("b"))).isSameAs(b);
        List<TableChange> later = changes.subList(published, changes.size());
        assertThat(later).isNotEmpty().allSatisfy(change -> assertThat(change.changed()).containsOnly(key("a")));
    }

    @Test
    void slicesOfOneServiceAreMergedWithoutDuplicates() throws Exception {
        client.resource(node(null)).create();
        client.resource(service("web", "198.18.0.10")).create();
        client.resource(slice("web", "web-a", "198.19.0.1", "198.19.0.2")).create();
        client.resource(slice("web", "web-b", "198.19.0.2", "198.19.0.3")).create();
        start();
        assertThat(endpoints("web")).isEqualTo(backends("198.19.0.1", "198.19.0.2", "198.19.0.3"));

        client.resource(slice("web", "web-a")).delete();
        await().until(() -> endpoints("web"), backends("198.19.0.2", "198.19.0.3")::equals);
    }

    @Test
    void zoneLabelOfThisNodeSwitchesPreferSameZoneSelection() throws Exception {
        client.resource(node("zone-a")).create();
        client.resource(service("web", "198.18.0.10")).create();
        client.resource(slice("web", "web-a",
                List.of(zoned("198.19.0.1", "zone-a"), zoned("198.19.0.2", "zone-b")))).create();
        start();
        assertThat(endpoints("web")).isEqualTo(backends("198.19.0.1"));

        client.nodes().withName(NODE).edit(n -> {
            n.getMetadata().getLabels().put(KubernetesSource.ZONE_LABEL, "zone-b");
            return n;
        });
        await().until(() -> endpoints("web"), backends("198.19.0.2")::equals);

        client.nodes().withName(NODE).edit(n -> {
            n.getMetadata().getLabels().remove(KubernetesSource.ZONE_LABEL);
            return n;
        });
        await().until(() -> endpoints("web"), backends("198.19.0.1", "198.19.0.2")::equals);
    }

    @Test
    void missingNodeIsNotEligibleUntilItAppearsAndAgainOnceDeleted() throws Exception {
        start();
        assertThat(tracker.nodeEligible()).isFalse();
        assertThat(tracker.synced()).isTrue();

        client.resource(node(null)).create();
        await().until(tracker::nodeEligible);

        client.nodes().withName(NODE).delete();
        await().until(() -> !tracker.nodeEligible());
    }

    @Test
    void servicesOwnedByAnotherProxyAreFilteredAtTheApiServer() throws Exception {
        client.resource(node(null)).create();
        var other = service("other", "198.18.0.12");
        other.getMetadata().getLabels().put("service.kubernetes.io/service-proxy-name", "elsewhere");
        client.resource(other).create();
        client.resource(service("web", "198.18.0.10")).create();
        List<String> rejected = new CopyOnWriteArrayList<>();
        start(new SyncObserver() {
            @Override
            public void rejected(String kind, String reason) {
                rejected.add(kind + " " + reason);
            }
        });

        assertThat(publisher.current().get(key("web"))).isNotNull();
        assertThat(publisher.current().get(key("other"))).isNull();
        // The translator would have reported it had the informer let it through.
        assertThat(rejected).doesNotContain("Service service-proxy-name");
        assertThat(api.requestPaths()).anySatisfy(path -> assertThat(path)
                .startsWith("/api/v1/services?")
                .contains("labelSelector=%21service.kubernetes.io%2Fservice-proxy-name%2C%21service.kubernetes.io%2Fheadless"));
    }

    @Test
    void observerHearsOfSyncsSkipsTriggerTimesAndLocalPoliciesWithoutLocalEndpoints() throws Exception {
        client.resource(node(null)).create();
        RecordingObserver observer = new RecordingObserver();
        start(observer);
        assertThat(observer.syncs).isNotEmpty();

        var local = service("local", "198.18.0.20");
        local.getSpec().setInternalTrafficPolicy("Local");
        client.resource(local).create();
        EndpointSlice remoteOnly = slice("local", "local-a", "198.19.2.1");
        remoteOnly.getMetadata().getAnnotations().put("endpoints.kubernetes.io/last-change-trigger-time",
                OffsetDateTime.now().toString());
        client.resource(remoteOnly).create();
        await().until(() -> observer.noLocalInternal == 1);
        assertThat(endpoints("local")).isEmpty();
        await().until(() -> !observer.programmed.isEmpty());
        assertThat(observer.programmed).allSatisfy(d -> assertThat(d).isBetween(Duration.ZERO, Duration.ofSeconds(10)));

        var sctp = service("sctp", "198.18.0.21");
        sctp.getSpec().getPorts().get(0).setProtocol("SCTP");
        client.resource(sctp).create();
        await().until(() -> observer.rejected.contains("Service unsupported-protocol"));

        client.resource(local).delete();
        await().until(() -> observer.noLocalInternal == 0);
        assertThat(observer.syncs).anySatisfy(s -> assertThat(s).isEqualTo("services=1 endpoints=0"));
    }

    /** Collects what a source reports; written on the sync thread, read by the test. */
    private static final class RecordingObserver implements SyncObserver {
        final List<String> syncs = new CopyOnWriteArrayList<>();
        final List<Duration> programmed = new CopyOnWriteArrayList<>();
        final List<String> rejected = new CopyOnWriteArrayList<>();
        volatile int noLocalInternal = -1;

        @Override
        public void synced(Duration duration, int serviceChanges, int endpointChanges) {
            syncs.add("services=" + serviceChanges + " endpoints=" + endpointChanges);
        }

        @Override
        public void networkProgrammed(Duration latency) {
            programmed.add(latency);
        }

        @Override
        public void rejected(String kind, String reason) {
            rejected.add(kind + " " + reason);
        }

        @Override
        public void noLocalEndpoints(int internal, int external) {
            noLocalInternal = internal;
        }
    }
}
