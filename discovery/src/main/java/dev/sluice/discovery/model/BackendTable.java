package dev.sluice.discovery.model;

import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The immutable set of service entries a proxy serves, with the generation that produced it.
 * A new table is derived from an old one by {@link #apply}; entries not named there are shared,
 * never copied.
 *
 * <p>Implementation notes: the entries live in a persistent hash trie, so {@link #apply} costs
 * O(log32 n) per named key whatever the table's size, and {@link #get} allocates nothing. A
 * table is fully built before it is handed out, and all its fields are final: a reader that
 * got it through a volatile read (the publisher) never sees a half-built one.
 */
public final class BackendTable {
    private static final BackendTable EMPTY = new BackendTable(0, PersistentMap.empty());

    private final long generation;
    private final PersistentMap<ServicePortKey, ServiceEntry> entries;
    private final Collection<ServiceEntry> view;

    private BackendTable(long generation, PersistentMap<ServicePortKey, ServiceEntry> entries) {
        this.generation = generation;
        this.entries = entries;
        this.view = new EntryView(entries);
    }

    /** The table before anything was published: generation 0, no entries. */
    public static BackendTable empty() {
        return EMPTY;
    }

    /** A table holding exactly these entries. */
    public static BackendTable of(long generation, Collection<ServiceEntry> entries) {
        PersistentMap<ServicePortKey, ServiceEntry> map = PersistentMap.empty();
        for (ServiceEntry entry : entries) {
            PersistentMap<ServicePortKey, ServiceEntry> next = map.put(entry.key(), entry);
            if (next.size() == map.size()) {
                throw new IllegalArgumentException("key: " + entry.key() + " (expected: each service port once)");
            }
            map = next;
        }
        return new BackendTable(generation, map);
    }

    /** A counter that grows with every published table. */
    public long generation() {
        return generation;
    }

    /** The entry for a key, or {@code null}. Allocates nothing. */
    public ServiceEntry get(ServicePortKey key) {
        return entries.get(key);
    }

    /** How many service ports the table holds. */
    public int size() {
        return entries.size();
    }

    /** Every entry, in no particular order. */
    public Collection<ServiceEntry> entries() {
        return view;
    }

    /** Every entry, sorted by key. */
    public List<ServiceEntry> sortedEntries() {
        List<ServiceEntry> list = new ArrayList<>(view);
        list.sort((a, b) -> a.key().compareTo(b.key()));
        return list;
    }

    /**
     * The next table: this one with {@code removals} taken out and then {@code upserts} put, at
     * generation + 1. Entries not named keep their very instances.
     */
    public BackendTable apply(Map<ServicePortKey, ServiceEntry> upserts, Collection<ServicePortKey> removals) {
        PersistentMap<ServicePortKey, ServiceEntry> next = entries;
        for (ServicePortKey key : removals) {
            next = next.remove(key);
        }
        for (Map.Entry<ServicePortKey, ServiceEntry> upsert : upserts.entrySet()) {
            if (!upsert.getKey().equals(upsert.getValue().key())) {
                throw new IllegalArgumentException("key: " + upsert.getKey()
                        + " (expected: the key of its entry, " + upsert.getValue().key() + ")");
            }
            next = next.put(upsert.getKey(), upsert.getValue());
        }
        return new BackendTable(generation + 1, next);
    }

    @Override
    public String toString() {
        return "BackendTable{generation=" + generation + ", entries=" + entries.size() + "}";
    }

    /** A read-only collection over the trie's values. */
    private static final class EntryView extends AbstractCollection<ServiceEntry> {
        private final PersistentMap<ServicePortKey, ServiceEntry> entries;

        EntryView(PersistentMap<ServicePortKey, ServiceEntry> entries) {
            this.entries = entries;
        }

        @Override
        public Iterator<ServiceEntry> iterator() {
            return entries.values();
        }

        @Override
        public int size() {
            return entries.size();
        }
    }
}
