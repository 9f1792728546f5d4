package dev.sluice.benchmarks;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.state.ClusterSync;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One EndpointSlice change (one pod of one Service replaced) applied through the real change
 * tracker, {@link ClusterSync}, on a cluster of 100, 10,000 and 50,000 Services with 10
 * endpoints each: the cost from the recorded event to the published table, as one informer
 * event costs it in the running proxy. Unlike {@code TableUpdateBenchmark} this includes the
 * recording, the hand-off to the sync thread, the re-translation of the Service from its
 * fabric8 objects and the bookkeeping around it.
 *
 * <p>Goal: under 50 µs per change at 50,000 Services, and at most twice the cost at 100: the
 * cost follows the size of the change, not of the cluster.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar EndpointChangeBenchmark}; a smoke run
 * adds {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}; {@code -prof gc} adds bytes allocated per change.
 * The measuring thread spins while the sync thread works, so the figure needs two idle cores.
 *
 * <p>The cluster and every update are built in {@link SyncRig#setUp}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EndpointChangeBenchmark {

    @Benchmark
    public BackendTable endpointChange(SyncRig rig) {
        return rig.change();
    }
}
