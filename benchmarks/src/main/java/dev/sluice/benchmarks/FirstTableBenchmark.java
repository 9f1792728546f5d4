package dev.sluice.benchmarks;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.state.ClusterSync;
import dev.sluice.discovery.state.SyncObserver;
import dev.sluice.discovery.state.SyncTracker;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.discovery.translate.NodeContext;
import dev.sluice.discovery.translate.ServiceTranslator;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The first table after start-up: 10,000 Services with 10 endpoints each, as fabric8 objects an
 * informer has listed, turned into a published {@link BackendTable}. Until it exists the proxy
 * serves nothing, so this is the start-up cost that grows with the cluster.
 *
 * <p>Goal: under 500 ms for 10,000 Services x 10 endpoints ({@code clusterSync}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FirstTableBenchmark}; a smoke run adds
 * {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}.
 *
 * <ul>
 *   <li>{@code clusterSync}: the real path: a new {@link ClusterSync} records every Service and
 *       slice (what the informer handlers do), then {@code start} translates and publishes the
 *       first table on its sync thread.</li>
 *   <li>{@code translate}: {@link ServiceTranslator#translate} per Service and
 *       {@link BackendTable#of} on the result, without the change tracking around it.</li>
 * </ul>
 *
 * <p>The Kubernetes objects are built once per trial in {@link #setUp}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FirstTableBenchmark {
    private static final int ENDPOINTS = 10;
    private static final NodeContext NODE = new NodeContext(ClusterObjects.NODE, null, Balance.ROUND_ROBIN);

    @Param({"10000"})
    int services;

    private Service[] serviceObjects;
    private EndpointSlice[] sliceObjects;

    @Setup(Level.Trial)
    public void setUp() {
        serviceObjects = new Service[services];
        sliceObjects = new EndpointSlice[services];
        for (int i = 0; i < services; i++) {
            serviceObjects[i] = ClusterObjects.service(i);
            sliceObjects[i] = ClusterObjects.slice(i, ENDPOINTS);
        }
    }

    @Benchmark
    public BackendTable clusterSync() throws TimeoutException, InterruptedException {
        TablePublisher publisher = new TablePublisher();
        try (ClusterSync sync = new ClusterSync(NODE.nodeName(), NODE.defaultBalance(), publisher,
                SyncTracker.systemClock(), SyncObserver.NOOP)) {
            for (int i = 0; i < services; i++) {
                sync.serviceUpdated(serviceObjects[i]);
                sync.sliceUpdated(sliceObjects[i]);
            }
            sync.start(Duration.ofMinutes(1));
        }
        return publisher.current();
    }

    @Benchmark
    public BackendTable translate() {
        List<ServiceEntry> entries = new ArrayList<>(services);
        for (int i = 0; i < services; i++) {
            entries.addAll(ServiceTranslator.translate(serviceObjects[i], List.of(sliceObjects[i]), NODE).entries());
        }
        return BackendTable.of(1, entries);
    }
}
