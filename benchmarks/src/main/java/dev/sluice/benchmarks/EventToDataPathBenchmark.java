package dev.sluice.benchmarks;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.state.ClusterSync;
import dev.sluice.discovery.state.TablePublisher;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The latency an endpoint change adds before connections see it: from an EndpointSlice update
 * entering {@link ClusterSync#sliceUpdated} (what the informer's handler calls) to the new table
 * being visible through {@link TablePublisher#current()}, the one read the accept path does, on
 * another thread than the one that published it. Sampled per change, so the distribution shows,
 * not only the mean.
 *
 * <p>Goal: p99 under 5 ms (JMH prints {@code p0.99} per size).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar EventToDataPathBenchmark}; a smoke
 * run adds {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}. The measuring thread plays both the informer
 * (it records) and the data path (it spins on {@code current()}); the sync thread in between
 * publishes, as in the running proxy. On a busy machine the sync thread waits for a core, and
 * the tail shows it.
 *
 * <p>The cluster and every update are built in {@link SyncRig#setUp}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EventToDataPathBenchmark {

    @Benchmark
    public BackendTable eventToDataPath(SyncRig rig) {
        return rig.change();
    }
}
