package dev.sluice.discovery.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A table too large for the heap is refused in one line naming the sizes, and the last table keeps serving. */
class HeapHeadroomTest {
    private static final long MIB = 1 << 20;

    @Test
    void aChangeThatWouldNotFitIsRefusedNamingItsSizes() {
        HeapHeadroom headroom = new HeapHeadroom(96 * MIB, () -> 80 * MIB, HeapHeadroom.CHECKED_FROM);
        TableChange change = TableChange.between(BackendTable.empty(), table(1, 10_000, 3));

        assertThatThrownBy(() -> headroom.check(change)).isInstanceOf(TableTooLargeException.class).hasMessage(
                "table too large for the heap: generation 1 adds 10000 service ports with 30000 endpoints, about 39 MiB, "
                        + "and 16 MiB of the 96 MiB heap is free (expected: a larger memory limit, which bin/sluice "
                        + "sizes the heap from); nothing is served yet");
        new HeapHeadroom(512 * MIB, () -> 80 * MIB, HeapHeadroom.CHECKED_FROM).check(change);
    }

    /** Shows that only new service ports count, and that a small change never reads the memory pools. */
    @Test
    void onlyNewServicePortsCountAndSmallChangesAreNotChecked() {
        AtomicInteger reads = new AtomicInteger();
        HeapHeadroom full = new HeapHeadroom(96 * MIB, () -> {
            reads.incrementAndGet();
            return 96 * MIB;
        }, HeapHeadroom.CHECKED_FROM);
        BackendTable large = table(1, 10_000, 3);
        full.check(TableChange.between(large, table(2, 10_000, 4)));
        full.check(TableChange.between(BackendTable.empty(), table(1, 100, 3)));
        assertThat(reads).hasValue(0);
    }

    /**
     * Shows the refusal in a running sync: the first table is served, a later one whose new
     * Services do not fit leaves it serving, and once the heap has room the next sync publishes
     * the refused Services too.
     */
    @Test
    void aRefusedSyncKeepsTheLastTableAndIsRetriedByTheNext() throws Exception {
        AtomicLong used = new AtomicLong(0);
        AtomicInteger checks = new AtomicInteger();
        TablePublisher publisher = new TablePublisher(new HeapHeadroom(100 * MIB, () -> {
            checks.incrementAndGet();
            return used.get();
        }, 1));
        try (ClusterSync sync = new ClusterSync("node-1", Balance.ROUND_ROBIN, publisher, SyncTracker.systemClock(),
                new SyncObserver() { })) {
            sync.serviceUpdated(service("first", "1"));
            sync.start(Duration.ofSeconds(10));
            long served = publisher.current().generation();
            assertThat(publisher.current().size()).isEqualTo(1);

            used.set(100 * MIB);
            int before = checks.get();
            sync.serviceUpdated(service("second", "2"));
            await().atMost(Duration.ofSeconds(5)).until(() -> checks.get() > before);
            assertThat(publisher.current().generation()).isEqualTo(served);
            assertThat(publisher.current().size()).isEqualTo(1);

            used.set(0);
            sync.serviceUpdated(service("third", "3"));
            await().atMost(Duration.ofSeconds(5)).until(() -> publisher.current().size() == 3);
        }
    }

    @Test
    void aFirstTableThatDoesNotFitFailsTheStart() {
        TablePublisher publisher = new TablePublisher(new HeapHeadroom(MIB, () -> MIB, 1));
        try (ClusterSync sync = new ClusterSync("node-1", Balance.ROUND_ROBIN, publisher, SyncTracker.systemClock(),
                new SyncObserver() { })) {
            sync.serviceUpdated(service("first", "1"));
            assertThatThrownBy(() -> sync.start(Duration.ofSeconds(10))).isInstanceOf(TableTooLargeException.class)
                    .hasMessageContaining("adds 1 service ports with 0 endpoints").hasMessageEndingWith("nothing is served yet");
            assertThat(publisher.current().size()).isZero();
        }
    }

    private static io.fabric8.kubernetes.api.model.Service service(String name, String version) {
        return new ServiceBuilder().withNewMetadata().withNamespace("shop").withName(name).withResourceVersion(version)
                .endMetadata().withNewSpec().withType("ClusterIP").withClusterIP("198.18.0.10")
                .withClusterIPs("198.18.0.10").addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec()
                .build();
    }

    private static BackendTable table(long generation, int ports, int endpoints) {
        List<ServiceEntry> entries = new ArrayList<>();
        List<Backend> backends = new ArrayList<>();
        for (int b = 0; b < endpoints; b++) {
            backends.add(Backend.of("198.19.0." + (b + 1), 8080));
        }
        for (int i = 0; i < ports; i++) {
            ServicePortKey key = new ServicePortKey("", "svc-" + i, "", Protocol.TCP, IpFamily.IPv4);
            entries.add(ServiceEntry.standalone(key,
                    List.of(new Frontend(FrontendType.LISTEN, InetAddress.getLoopbackAddress(), 10_000 + i)), backends,
                    ServicePolicy.DEFAULT));
        }
        return BackendTable.of(generation, entries);
    }
}
