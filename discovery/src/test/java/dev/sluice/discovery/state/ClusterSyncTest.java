package dev.sluice.discovery.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The change tracking and sync step on their own, fed the objects an informer would deliver. */
class ClusterSyncTest {
    private static final String NS = "shop";

    private final TablePublisher publisher = new TablePublisher();
    private final List<TableChange> changes = new CopyOnWriteArrayList<>();
    private final SyncTracker tracker = SyncTracker.systemClock();
    private final List<String> syncs = new CopyOnWriteArrayList<>();
    private final ClusterSync sync = new ClusterSync("node-1", Balance.ROUND_ROBIN, publisher, tracker,
            new SyncObserver() {
                @Override
                public void synced(Duration duration, int serviceChanges, int endpointChanges) {
                    syncs.add(serviceChanges + "/" + endpointChanges);
                }
            });

    ClusterSyncTest() {
        publisher.addListener(changes::add);
    }

    @AfterEach
    void tearDown() {
        sync.close();
    }

    private static Service service(String name, String version) {
        return new ServiceBuilder().withNewMetadata().withNamespace(NS).withName(name).withResourceVersion(version)
                .endMetadata().withNewSpec().withType("ClusterIP").withClusterIP("198.18.0.10")
                .withClusterIPs("198.18.0.10").addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec()
                .build();
    }

    private static EndpointSlice slice(String service, String name, String version, String... ips) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName(name)
                .withResourceVersion(version).addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4").addNewPort().withName("").withPort(8080).withProtocol("TCP").endPort();
        for (String ip : ips) {
            builder.addToEndpoints(new EndpointBuilder().withAddresses(ip).build());
        }
        return builder.build();
    }

    private static ServicePortKey key(String service) {
        return new ServicePortKey(NS, service, "", Protocol.TCP, IpFamily.IPv4);
    }

    private List<Backend> endpoints(String service) {
        ServiceEntry entry = publisher.current().get(key(service));
        return entry == null ? null : entry.internalEndpoints();
    }

    private void start() throws Exception {
        sync.start(Duration.ofSeconds(10));
    }

    @Test
    void nothingIsPublishedBeforeStartAndTheFirstTableHoldsEverythingRecorded() throws Exception {
        sync.sliceUpdated(slice("web", "web-1", "1", "198.19.0.1"));
        sync.serviceUpdated(service("web", "2"));
        assertThat(changes).isEmpty();
        assertThat(tracker.synced()).isFalse();

        start();

        assertThat(changes).hasSize(1);
        assertThat(endpoints("web")).containsExactly(Backend.of("198.19.0.1", 8080));
        assertThat(tracker.synced()).isTrue();
        assertThat(syncs).containsExactly("1/1");
    }

    @Test
    void endpointsWithoutAddressAreCountedOneByOneAndTheirNeighboursServed() throws Exception {
        List<String> rejected = new CopyOnWriteArrayList<>();
        TablePublisher own = new TablePublisher();
        EndpointSlice slice = slice("web", "web-1", "2", "198.19.0.1", "198.19.0.2");
        slice.getEndpoints().add(1, new EndpointBuilder().build());
        slice.getEndpoints().add(new EndpointBuilder().withAddresses(List.of()).build());
        try (ClusterSync counted = new ClusterSync("node-1", Balance.ROUND_ROBIN, own, SyncTracker.systemClock(),
                new SyncObserver() {
                    @Override
                    public void rejected(String kind, String reason) {
                        rejected.add(kind + "/" + reason);
                    }
                })) {
            counted.serviceUpdated(service("web", "1"));
            counted.sliceUpdated(slice);

            counted.start(Duration.ofSeconds(10));

            assertThat(own.current().get(key("web")).internalEndpoints())
                    .containsExactly(Backend.of("198.19.0.1", 8080), Backend.of("198.19.0.2", 8080));
            assertThat(rejected).containsExactly("EndpointSlice/no-address", "EndpointSlice/no-address");
        }
    }

    @Test
    void sliceSeenBeforeItsServiceIsUsedOnceTheServiceArrives() throws Exception {
        start();
        sync.sliceUpdated(slice("web", "web-1", "1", "198.19.0.1"));
        await().until(() -> syncs.size() == 2);
        assertThat(publisher.current().get(key("web"))).isNull();

        sync.serviceUpdated(service("web", "2"));
        await().until(() -> endpoints("web"), List.of(Backend.of("198.19.0.1", 8080))::equals);
    }

    @Test
    void objectsResentWithTheSameVersionPublishNothing() throws Exception {
        sync.serviceUpdated(service("web", "1"));
        sync.sliceUpdated(slice("web", "web-1", "2", "198.19.0.1"));
        start();
        BackendTable first = publisher.current();

        sync.serviceUpdated(service("web", "1"));
        sync.sliceUpdated(slice("web", "web-1", "2", "198.19.0.1"));
        await().until(() -> syncs.size() >= 2);

        assertThat(publisher.current()).isSameAs(first);
        assertThat(syncs.subList(1, syncs.size())).containsOnly("0/0");
        assertThat(tracker.healthy(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void deleteNeedsOnlyTheNameSoAStaleFinalStateStillRemovesTheSlice() throws Exception {
        sync.serviceUpdated(service("web", "1"));
        sync.sliceUpdated(slice("web", "web-1", "2", "198.19.0.1"));
        sync.sliceUpdated(slice("web", "web-2", "3", "198.19.0.2"));
        start();

        // The last state the informer knew named no service at all.
        EndpointSlice stale = new EndpointSliceBuilder().withNewMetadata().withNamespace(NS).withName("web-1")
                .endMetadata().build();
        sync.sliceDeleted(stale);
        await().until(() -> endpoints("web"), List.of(Backend.of("198.19.0.2", 8080))::equals);
    }

    @Test
    void sliceRelabelledToAnotherServiceMovesItsEndpoints() throws Exception {
        sync.serviceUpdated(service("a", "1"));
        sync.serviceUpdated(service("b", "2"));
        sync.sliceUpdated(slice("a", "shared", "3", "198.19.0.1"));
        start();
        assertThat(endpoints("a")).hasSize(1);

        sync.sliceUpdated(slice("b", "shared", "4", "198.19.0.1"));
        await().until(() -> endpoints("b"), List.of(Backend.of("198.19.0.1", 8080))::equals);
        assertThat(endpoints("a")).isEmpty();
        assertThat(changes.get(changes.size() - 1).changed()).containsExactlyInAnyOrder(key("a"), key("b"));
    }

    @Test
    void oneSliceChangeAmongThousandsOfServicesPublishesOneKeyAndSharesEveryOtherEntry() throws Exception {
        int services = 5000;
        for (int i = 0; i < services; i++) {
            sync.serviceUpdated(service("svc-" + i, "s" + i));
            sync.sliceUpdated(slice("svc-" + i, "svc-" + i + "-1", "e" + i, "198.19." + i / 250 + "." + i % 250));
        }
        start();
        BackendTable before = publisher.current();
        assertThat(before.size()).isEqualTo(services);

        sync.sliceUpdated(slice("svc-42", "svc-42-1", "changed", "198.18.7.7"));
        await().until(() -> publisher.current() != before);

        BackendTable after = publisher.current();
        assertThat(changes.get(changes.size() - 1).changed()).containsExactly(key("svc-42"));
        assertThat(syncs.get(syncs.size() - 1)).isEqualTo("0/1");
        List<String> replaced = new ArrayList<>();
        for (ServiceEntry entry : before.entries()) {
            if (after.get(entry.key()) != entry) {
                replaced.add(entry.key().name());
            }
        }
        assertThat(replaced).containsExactly("svc-42");
    }
}
