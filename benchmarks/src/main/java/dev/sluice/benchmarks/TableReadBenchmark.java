package dev.sluice.benchmarks;

import dev.sluice.discovery.model.Backend;
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
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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
 * What an accepted connection pays to find its backend: {@code publisher.current().get(key)} and
 * one pick from the entry's endpoints, while the control plane keeps publishing new tables.
 *
 * <p>Goal: a read stays in the tens of nanoseconds and does not slow down when a writer publishes
 * continuously (compare {@code readWhileWriting:read} with {@code readOnly}): readers take no lock
 * and never wait for the writer.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TableReadBenchmark}; a smoke run adds
 * {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}. The group runs one reader and one writer thread by default
 * (the CI machines have two cores); {@code -tg 3,1} runs three readers against one writer.
 *
 * <ul>
 *   <li>{@code readWhileWriting:read}: a reader, as the accept path does it.</li>
 *   <li>{@code readWhileWriting:write}: the writer, replacing one service's entry per publication
 *       through {@link BackendTable#apply} and {@link TablePublisher#publish(TableChange)}.</li>
 *   <li>{@code readOnly}: the same read with nobody writing, the baseline.</li>
 * </ul>
 *
 * <p>Keys, entries and changes are built in {@link #setUp}; each thread walks them in order.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TableReadBenchmark {
    private static final int ENDPOINTS = 10;
    /** A power of two: readers index their key ring with a mask. */
    private static final int KEYS = 1024;

    @Param({"1000", "10000"})
    int services;

    private TablePublisher publisher;
    private ServicePortKey[] keys;
    private Map<ServicePortKey, ServiceEntry>[][] upserts;
    private Set<ServicePortKey>[] changed;
    private int writeRing;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() {
        publisher = new TablePublisher();
        publisher.publish(Fixtures.table(services, ENDPOINTS));
        keys = new ServicePortKey[KEYS];
        for (int i = 0; i < KEYS; i++) {
            // Spread the looked-up services over the whole table.
            keys[i] = Fixtures.key((int) ((long) i * services / KEYS));
        }
        writeRing = Math.min(KEYS, services);
        upserts = new Map[writeRing][2];
        changed = new Set[writeRing];
        for (int i = 0; i < writeRing; i++) {
            int service = (int) ((long) i * services / writeRing);
            for (int r = 0; r < 2; r++) {
                ServiceEntry entry = Fixtures.entry(service, ENDPOINTS, r + 1);
                upserts[i][r] = Map.of(entry.key(), entry);
            }
            changed[i] = Set.of(Fixtures.key(service));
        }
    }

    /** One thread's position in the key ring: the per-connection round-robin counter. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
    }

    @Benchmark
    @Group("readWhileWriting")
    @GroupThreads(1)
    public Backend read(Cursor cursor) {
        return pick(cursor);
    }

    @Benchmark
    @Group("readWhileWriting")
    @GroupThreads(1)
    public TableChange write(Cursor cursor) {
        // Two laps of the ring, one per revision: every publication really changes its entry.
        int step = cursor.next;
        cursor.next = step + 1 == 2 * writeRing ? 0 : step + 1;
        int i = step % writeRing;
        BackendTable current = publisher.current();
        BackendTable updated = current.apply(upserts[i][step / writeRing], List.of());
        return publisher.publish(new TableChange(current, updated, changed[i]));
    }

    @Benchmark
    @Group("readOnly")
    @GroupThreads(1)
    public Backend readAlone(Cursor cursor) {
        return pick(cursor);
    }

    private Backend pick(Cursor cursor) {
        int i = cursor.next++;
        ServiceEntry entry = publisher.current().get(keys[i & (KEYS - 1)]);
        List<Backend> endpoints = entry.internalEndpoints();
        return endpoints.get((i & Integer.MAX_VALUE) % endpoints.size());
    }
}
