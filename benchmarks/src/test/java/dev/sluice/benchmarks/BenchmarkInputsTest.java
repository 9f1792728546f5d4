package dev.sluice.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The benchmarks measure real work: their inputs are what their Javadoc says, and every call changes something. */
class BenchmarkInputsTest {

    @Test
    void twoRevisionsOfAServiceDifferInExactlyOneEndpoint() {
        List<Backend> before = Fixtures.entry(42, 10, 0).internalEndpoints();
        List<Backend> after = Fixtures.entry(42, 10, 1).internalEndpoints();

        assertThat(after).hasSize(10);
        int differing = 0;
        for (int i = 0; i < 10; i++) {
            differing += before.get(i).equals(after.get(i)) ? 0 : 1;
        }
        assertThat(differing).isEqualTo(1);
    }

    @Test
    void aTableLargerThanTheEndpointAddressRangeStillHasDistinctEndpoints() {
        // 7,000 x 10 endpoints exceed the 65,536 addresses of 198.19/16: ports must tell them apart.
        BackendTable table = Fixtures.table(7_000, 10);

        Set<Backend> endpoints = new HashSet<>();
        for (ServiceEntry entry : table.entries()) {
            endpoints.addAll(entry.internalEndpoints());
        }
        assertThat(table.size()).isEqualTo(7_000);
        assertThat(endpoints).hasSize(70_000);
    }

    @Test
    void everyApplyAndPublishCallPublishesARealChangeToOneEntry() {
        TableUpdateBenchmark benchmark = new TableUpdateBenchmark();
        benchmark.services = 100;
        benchmark.setUp();

        // Three laps of the ring: both revisions, and the wrap back to the first.
        for (int call = 0; call < 300; call++) {
            TableChange change = benchmark.applyAndPublish();
            assertThat(change.current().generation()).isEqualTo(change.previous().generation() + 1);
            assertThat(change.changed()).hasSize(1);
            ServicePortKey key = change.changed().iterator().next();
            assertThat(change.current().get(key)).isNotEqualTo(change.previous().get(key));
            assertThat(change.current().size()).isEqualTo(100);
        }
    }

    @Test
    void applyLeavesTheBaseTableAndChangesOneEntry() {
        TableUpdateBenchmark benchmark = new TableUpdateBenchmark();
        benchmark.services = 10_000;
        benchmark.setUp();

        BackendTable first = benchmark.apply();
        BackendTable second = benchmark.apply();

        assertThat(first.size()).isEqualTo(10_000);
        assertThat(first.generation()).isEqualTo(second.generation());
        assertThat(TableChange.between(first, second).changed()).hasSize(2);
    }

    @Test
    void readersPickEndpointsOfTheCurrentTableWhileTheWriterPublishesChanges() {
        TableReadBenchmark benchmark = new TableReadBenchmark();
        benchmark.services = 1_000;
        benchmark.setUp();
        TableReadBenchmark.Cursor reader = new TableReadBenchmark.Cursor();
        TableReadBenchmark.Cursor writer = new TableReadBenchmark.Cursor();
        // The endpoints of the published table, kept up to date from each change.
        Set<Backend> published = new HashSet<>();
        Fixtures.table(1_000, 10).entries().forEach(entry -> published.addAll(entry.internalEndpoints()));

        Set<Backend> picked = new HashSet<>();
        int stale = 0;
        for (int i = 0; i < 2_500; i++) {
            TableChange change = benchmark.write(writer);
            ServicePortKey key = change.changed().iterator().next();
            assertThat(change.current().get(key)).isNotEqualTo(change.previous().get(key));
            published.removeAll(change.previous().get(key).internalEndpoints());
            published.addAll(change.current().get(key).internalEndpoints());

            Backend backend = benchmark.read(reader);
            stale += published.contains(backend) ? 0 : 1;
            picked.add(backend);
        }
        assertThat(stale).isZero();
        assertThat(picked).hasSizeGreaterThan(1_000);
    }

    @Test
    void bothFirstTablePathsBuildTheSameCompleteTable() throws Exception {
        FirstTableBenchmark benchmark = new FirstTableBenchmark();
        benchmark.services = 500;
        benchmark.setUp();

        BackendTable synced = benchmark.clusterSync();
        BackendTable translated = benchmark.translate();

        assertThat(synced.size()).isEqualTo(500);
        assertThat(synced.entries()).allSatisfy(entry -> assertThat(entry.internalEndpoints()).hasSize(10));
        assertThat(synced.sortedEntries()).isEqualTo(translated.sortedEntries());
    }

    @Test
    void everyRecordedSliceUpdatePublishesATableWithExactlyOneChangedEntry() throws Exception {
        SyncRig rig = new SyncRig();
        rig.services = 100;
        rig.setUp();
        try {
            BackendTable first = rig.current();
            assertThat(first.size()).isEqualTo(100);

            // Three laps of the ring: both revisions, and the wrap back to the first.
            BackendTable previous = first;
            for (int call = 0; call < 300; call++) {
                BackendTable next = rig.change();
                assertThat(next.generation()).isEqualTo(previous.generation() + 1);
                assertThat(next.size()).isEqualTo(100);
                Set<ServicePortKey> changed = TableChange.between(previous, next).changed();
                assertThat(changed).hasSize(1);
                assertThat(next.get(changed.iterator().next()).internalEndpoints()).hasSize(10);
                previous = next;
            }
        } finally {
            rig.tearDown();
        }
    }

    @Test
    void theRelayBenchmarkMovesItsBytesThroughTheProxy() throws Exception {
        RelayBenchmark benchmark = new RelayBenchmark();
        benchmark.path = "proxy";
        benchmark.transport = "auto";
        benchmark.setUp();
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(benchmark.connection()).isEqualTo(RelayBenchmark.PING_BYTES - 1);
            }
            assertThat(benchmark.bulk()).isEqualTo(RelayBenchmark.BULK_BYTES);
        } finally {
            benchmark.tearDown();
        }
    }
}
