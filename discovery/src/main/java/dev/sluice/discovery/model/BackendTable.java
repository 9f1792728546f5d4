package dev.sluice.discovery.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The immutable set of service entries a proxy serves, with the generation that produced it.
 * A new table is derived from an old one by {@link #apply}; entries not named there are shared,
 * never copied.
 */
public final class BackendTable {
    private static final BackendTable EMPTY = new BackendTable(0, Map.of());

    private final long generation;
    private final Map<ServicePortKey, ServiceEntry> entries;

    private BackendTable(long generation, Map<ServicePortKey, ServiceEntry> entries) {
        this.generation = generation;
        this.entries = entries;
    }

    /** The table before anything was published: generation 0, no entries. */
    public static BackendTable empty() {
        return EMPTY;
    }

    /** A table holding exactly these entries. */
    public static BackendTable of(long generation, Collection<ServiceEntry> entries) {
        Map<ServicePortKey, ServiceEntry> map = new HashMap<>();
        for (ServiceEntry entry : entries) {
            if (map.put(entry.key(), entry) != null) {
                throw new IllegalArgumentException("key: " + entry.key() + " (expected: each service port once)");
            }
        }
        return new BackendTable(generation, Collections.unmodifiableMap(map));
    }

    /** A counter that grows with every published table. */
    public long generation() {
        return generation;
    }

    /** The entry for a key, or {@code null}. */
    public ServiceEntry get(ServicePortKey key) {
        return entries.get(key);
    }

    /** How many service ports the table holds. */
    public int size() {
        return entries.size();
    }

    /** Every entry, in no particular order. */
    public Collection<ServiceEntry> entries() {
        return entries.values();
    }

    /** Every entry, sorted by key. */
    public List<ServiceEntry> sortedEntries() {
        List<ServiceEntry> list = new ArrayList<>(entries.values());
        list.sort((a, b) -> a.key().compareTo(b.key()));
        return list;
    }

    /**
     * The next table: this one with {@code upserts} put and {@code removals} taken out, at
     * generation + 1.
     */
    public BackendTable apply(Map<ServicePortKey, ServiceEntry> upserts, Collection<ServicePortKey> removals) {
        Map<ServicePortKey, ServiceEntry> next = new HashMap<>(entries);
        next.keySet().removeAll(removals);
        next.putAll(upserts);
        return new BackendTable(generation + 1, Collections.unmodifiableMap(next));
    }

    @Override
    public String toString() {
        return "BackendTable{generation=" + generation + ", entries=" + entries.size() + "}";
    }
}
