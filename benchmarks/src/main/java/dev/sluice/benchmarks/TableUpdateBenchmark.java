package dev.sluice.benchmarks;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.state.TablePublisher;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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
 * The cost of one endpoint change (one pod of one service replaced) on a table of 100, 10,000
 * and 50,000 services with 10 endpoints each: what the control plane pays per coalesced update.
 *
 * <p>Goal: under 50 µs per change at 50,000 services, and at most twice the cost at 100 services,
 * i.e. the cost follows the size of the change, not of the table.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TableUpdateBenchmark}; a smoke run
 * adds {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}. Add {@code -prof gc} to see bytes allocated per change.
 *
 * <ul>
 *   <li>{@code apply}: {@link BackendTable#apply} alone, always on the same base table.</li>
 *   <li>{@code applyAndPublish}: what a change tracker does per sync: derive the next table from
 *       the current one and publish it (no listeners), so generations keep growing.</li>
 * </ul>
 *
 * <p>Every change is built in {@link #setUp}: a ring of up to {@value #RING} distinct services
 * spread over the table, each with two revisions that differ in one endpoint, walked in order.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TableUpdateBenchmark {
    static final int RING = 1024;
    private static final int ENDPOINTS = 10;

    @Param({"100", "10000", "50000"})
    int services;

    private BackendTable base;
    private TablePublisher publisher;
    /** upserts[i][r]: ring service i at revision r + 1, as the single-entry map apply takes. */
    private Map<ServicePortKey, ServiceEntry>[][] upserts;
    private Set<ServicePortKey>[] changed;
    private int ring;
    private int next;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() {
        base = Fixtures.table(services, ENDPOINTS);
        publisher = new TablePublisher();
        publisher.publish(base);
        ring = Math.min(RING, services);
        upserts = new Map[ring][2];
        changed = new Set[ring];
        for (int i = 0; i < ring; i++) {
            int service = (int) ((long) i * services / ring);
            for (int r = 0; r < 2; r++) {
                ServiceEntry entry = Fixtures.entry(service, ENDPOINTS, r + 1);
                upserts[i][r] = Map.of(entry.key(), entry);
            }
            changed[i] = Set.of(Fixtures.key(service));
        }
    }

    @Benchmark
    public BackendTable apply() {
        int step = advance();
        return base.apply(upserts[step % ring][0], List.of());
    }

    @Benchmark
    public TableChange applyAndPublish() {
        int step = advance();
        int i = step % ring;
        // The revision flips every lap, so every publication really changes its entry.
        int revision = step / ring;
        BackendTable current = publisher.current();
        BackendTable updated = current.apply(upserts[i][revision], List.of());
        return publisher.publish(new TableChange(current, updated, changed[i]));
    }

    /** 0 .. 2 * ring - 1, in order: two laps of the ring, one per revision. */
    private int advance() {
        int step = next;
        next = step + 1 == 2 * ring ? 0 : step + 1;
        return step;
    }
}
