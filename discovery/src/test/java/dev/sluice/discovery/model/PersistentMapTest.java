package dev.sluice.discovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PersistentMapTest {

    /** A key whose hash is chosen by the test, so collisions at any depth can be forced. */
    private record Key(String name, int hash) {
        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key k && k.name.equals(name);
        }
    }

    @Test
    void randomPutsAndRemovesAgreeWithHashMapAndLeaveOlderVersionsIntact() {
        Random random = new Random(42);
        Map<Key, Integer> oracle = new HashMap<>();
        PersistentMap<Key, Integer> map = PersistentMap.empty();
        List<PersistentMap<Key, Integer>> versions = new ArrayList<>();
        List<Map<Key, Integer>> oracles = new ArrayList<>();
        for (int step = 0; step < 20_000; step++) {
            int id = random.nextInt(3000);
            Key key = new Key("k" + id, hashFor(id));
            if (random.nextInt(3) == 0) {
                oracle.remove(key);
                map = map.remove(key);
            } else {
                Integer value = random.nextInt(1000);
                oracle.put(key, value);
                map = map.put(key, value);
            }
            if (step % 997 == 0) {
                versions.add(map);
                oracles.add(new HashMap<>(oracle));
            }
            assertThat(map.size()).isEqualTo(oracle.size());
        }
        assertSameContent(map, oracle);
        for (int i = 0; i < versions.size(); i++) {
            assertSameContent(versions.get(i), oracles.get(i));
        }
    }

    /**
     * Three key ids per hash (full collisions); half the hashes spread, half with their low 20
     * bits zero (long shared prefixes, deep tries).
     */
    private static int hashFor(int id) {
        int base = id % 1000;
        return base % 2 == 0 ? base * 0x9E3779B9 : base << 20;
    }

    @Test
    void keysWithEqualHashesAreKeptApartAndRemovedOneByOne() {
        PersistentMap<Key, String> map = PersistentMap.empty();
        List<Key> keys = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            keys.add(new Key("same-" + i, 0xCAFEBABE));
        }
        keys.add(new Key("other", 0xCAFEBABF));
        for (Key key : keys) {
            map = map.put(key, key.name);
        }
        assertThat(map.size()).isEqualTo(6);
        for (Key key : keys) {
            assertThat(map.get(key)).isEqualTo(key.name);
        }
        assertThat(map.get(new Key("same-9", 0xCAFEBABE))).isNull();

        PersistentMap<Key, String> replaced = map.put(keys.get(2), "new");
        assertThat(replaced.get(keys.get(2))).isEqualTo("new");
        assertThat(map.get(keys.get(2))).isEqualTo("same-2");
        assertThat(replaced.size()).isEqualTo(6);

        for (int i = 0; i < keys.size(); i++) {
            map = map.remove(keys.get(i));
            assertThat(map.size()).isEqualTo(keys.size() - i - 1);
            for (int j = i + 1; j < keys.size(); j++) {
                assertThat(map.get(keys.get(j))).isEqualTo(keys.get(j).name);
            }
            assertThat(map.get(keys.get(i))).isNull();
        }
        assertThat(map).isSameAs(PersistentMap.empty());
    }

    @Test
    void removingEveryKeyGivesBackTheEmptyMap() {
        PersistentMap<Key, Integer> map = PersistentMap.empty();
        for (int i = 0; i < 2000; i++) {
            map = map.put(new Key("k" + i, i * 31), i);
        }
        for (int i = 1999; i >= 0; i--) {
            map = map.remove(new Key("k" + i, i * 31));
        }
        assertThat(map.size()).isZero();
        assertThat(map).isSameAs(PersistentMap.empty());
        assertThat(map.values().hasNext()).isFalse();
    }

    @Test
    void unchangedPutAndAbsentRemoveReturnTheSameMap() {
        Key key = new Key("a", 1);
        Integer value = 1000;
        PersistentMap<Key, Integer> map = PersistentMap.<Key, Integer>empty().put(key, value);
        assertThat(map.put(key, value)).isSameAs(map);
        assertThat(map.remove(new Key("b", 1))).isSameAs(map);
        assertThat(map.remove(new Key("c", 2))).isSameAs(map);
    }

    private static <V> void assertSameContent(PersistentMap<Key, V> map, Map<Key, V> oracle) {
        assertThat(map.size()).isEqualTo(oracle.size());
        for (Map.Entry<Key, V> entry : oracle.entrySet()) {
            assertThat(map.get(entry.getKey())).isEqualTo(entry.getValue());
        }
        List<V> values = new ArrayList<>();
        for (Iterator<V> it = map.values(); it.hasNext(); ) {
            values.add(it.next());
        }
        assertThat(values).containsExactlyInAnyOrderElementsOf(oracle.values());
    }
}
