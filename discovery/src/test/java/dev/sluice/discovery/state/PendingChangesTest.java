package dev.sluice.discovery.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Recording and draining pending objects: each drain hands over every pending object once, with its latest state. */
class PendingChangesTest {
    private final PendingChanges pending = new PendingChanges();

    private static EndpointSlice slice(String name, int version) {
        return new EndpointSliceBuilder().withNewMetadata().withNamespace("shop").withName(name)
                .withResourceVersion(Integer.toString(version)).endMetadata().withAddressType("IPv4").build();
    }

    /** Drains the slices into a map of name to resource version (null for a delete). */
    private Map<String, String> drain() {
        Map<String, String> drained = new HashMap<>();
        pending.drainSlices((ref, slice) -> {
            assertThat(drained).doesNotContainKey(ref.name());
            drained.put(ref.name(), slice == null ? null : slice.getMetadata().getResourceVersion());
            return true;
        });
        return drained;
    }

    @Test
    void aBurstOfUpdatesToOneSliceIsDrainedOnceWithTheLatestState() {
        pending.slice(slice("a", 1));
        pending.slice(slice("b", 1));
        pending.slice(slice("a", 2));
        pending.sliceDeleted(slice("b", 1));

        Map<String, String> drained = drain();

        assertThat(drained).hasSize(2).containsEntry("a", "2").containsEntry("b", null);
        assertThat(drain()).isEmpty();
    }

    @Test
    void aSliceRecordedAgainAfterADrainIsDrainedAgain() {
        pending.slice(slice("a", 1));
        assertThat(drain()).containsOnlyKeys("a");

        pending.slice(slice("a", 2));

        assertThat(drain()).containsExactly(Map.entry("a", "2"));
    }

    @Test
    void nothingRecordedWhileDrainsRunIsLost() throws Exception {
        int writers = 2;
        int objects = 200;
        int versions = 50;
        CountDownLatch done = new CountDownLatch(writers);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            Thread thread = new Thread(() -> {
                for (int v = 1; v <= versions; v++) {
                    for (int o = 0; o < objects; o++) {
                        pending.slice(slice("w" + writer + "-" + o, v));
                    }
                }
                done.countDown();
            });
            threads.add(thread);
            thread.start();
        }
        // The sync thread's view: the latest version drained so far per object. An object
        // recorded again while a drain runs may come twice in that drain; the later state wins.
        Map<String, String> seen = new HashMap<>();
        AtomicBoolean writersDone = new AtomicBoolean();
        while (!writersDone.get()) {
            writersDone.set(done.getCount() == 0);
            pending.drainSlices((ref, slice) -> {
                seen.put(ref.name(), slice.getMetadata().getResourceVersion());
                return true;
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(drain()).isEmpty();

        assertThat(seen).hasSize(writers * objects);
        assertThat(seen.values()).containsOnly(Integer.toString(versions));
    }
}
