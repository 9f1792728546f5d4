package dev.sluice.discovery.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TablePublisherStressTest {
    private static final int KEYS = 48;
    private static final int GENERATIONS = 10_000;

    @Test
    void readersNeverSeeAHalfBuiltTableWhileOneWriterKeepsPublishing() throws InterruptedException {
        TablePublisher publisher = new TablePublisher();
        List<ServicePortKey> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add(new ServicePortKey("stress", "svc-" + i, "", Protocol.TCP, IpFamily.IPv4));
        }
        // What the writer put into each generation, recorded before that generation is published.
        Map<Long, ServiceEntry[]> written = new ConcurrentHashMap<>();
        written.put(0L, new ServiceEntry[KEYS]);
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong checked = new AtomicLong();

        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Thread reader = new Thread(() -> {
                long lastGeneration = -1;
                while (!done.get() && failures.isEmpty()) {
                    BackendTable table = publisher.current();
                    if (table.generation() < lastGeneration) {
                        failures.add("generation went back from " + lastGeneration + " to " + table.generation());
                    }
                    lastGeneration = table.generation();
                    String problem = check(table, written.get(table.generation()), keys);
                    if (problem != null) {
                        failures.add(problem);
                    }
                    checked.incrementAndGet();
                }
            }, "stress-reader-" + r);
            readers.add(reader);
            reader.start();
        }

        Random random = new Random(7);
        ServiceEntry[] current = new ServiceEntry[KEYS];
        for (long g = 1; g <= GENERATIONS && failures.isEmpty(); g++) {
            Map<ServicePortKey, ServiceEntry> upserts = new HashMap<>();
            Set<ServicePortKey> removals = new HashSet<>();
            for (int n = 0; n < 4; n++) {
                int i = random.nextInt(KEYS);
                if (random.nextInt(4) == 0) {
                    removals.add(keys.get(i));
                    upserts.remove(keys.get(i));
                    current[i] = null;
                } else {
                    ServiceEntry entry = entry(keys.get(i), g);
                    upserts.put(keys.get(i), entry);
                    removals.remove(keys.get(i));
                    current[i] = entry;
                }
            }
            written.put(g, current.clone());
            BackendTable previous = publisher.current();
            BackendTable next = previous.apply(upserts, removals);
            Set<ServicePortKey> changed = new HashSet<>(upserts.keySet());
            changed.addAll(removals);
            publisher.publish(new TableChange(previous, next, changed));
        }
        done.set(true);
        for (Thread reader : readers) {
            reader.join();
        }
        assertThat(failures).isEmpty();
        assertThat(publisher.current().generation()).isEqualTo(GENERATIONS);
        assertThat(checked.get()).isPositive();
    }

    private static String check(BackendTable table, ServiceEntry[] expected, List<ServicePortKey> keys) {
        if (expected == null) {
            return "generation " + table.generation() + " was published before it was written";
        }
        int present = 0;
        for (int i = 0; i < KEYS; i++) {
            ServiceEntry actual = table.get(keys.get(i));
            if (actual != expected[i]) {
                return "generation " + table.generation() + " key " + keys.get(i) + ": " + actual
                        + " (expected: " + expected[i] + ")";
            }
            present += expected[i] == null ? 0 : 1;
        }
        int iterated = 0;
        for (ServiceEntry entry : table.entries()) {
            iterated++;
            if (entry.totalEndpoints() > table.generation()) {
                return "generation " + table.generation() + " holds an entry from generation " + entry.totalEndpoints();
            }
        }
        if (table.size() != present || iterated != present) {
            return "generation " + table.generation() + " size " + table.size() + ", iterated " + iterated
                    + " (expected: " + present + ")";
        }
        return null;
    }

    /** An entry that records the generation that wrote it in its endpoint count. */
    private static ServiceEntry entry(ServicePortKey key, long generation) {
        List<Backend> backends = List.of(Backend.of("198.18.0.1", 8080));
        return new ServiceEntry(key, List.of(), backends, null, ServicePolicy.DEFAULT, 0, (int) generation);
    }
}
