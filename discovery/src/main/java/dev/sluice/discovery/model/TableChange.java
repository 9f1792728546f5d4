package dev.sluice.discovery.model;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One publication: the table before, the table after, and the keys whose entries differ
 * (added, changed or removed). Listeners reconcile only the changed keys.
 */
public record TableChange(BackendTable previous, BackendTable current, Set<ServicePortKey> changed) {

    public TableChange {
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(current, "current");
        changed = Set.copyOf(changed);
    }

    /**
     * The change from {@code previous} to a table of exactly {@code wanted}: entries equal to
     * the previous ones keep their previous instances, so a reload of a whole file leaves one
     * copy of each unchanged entry (the one listeners already hold), and the new table shares
     * every untouched node with the previous one.
     */
    public static TableChange towards(BackendTable previous, Collection<ServiceEntry> wanted) {
        Map<ServicePortKey, ServiceEntry> upserts = new HashMap<>();
        Set<ServicePortKey> kept = new HashSet<>();
        for (ServiceEntry entry : wanted) {
            kept.add(entry.key());
            if (!entry.equals(previous.get(entry.key()))) {
                upserts.put(entry.key(), entry);
            }
        }
        Set<ServicePortKey> removals = new HashSet<>();
        for (ServiceEntry entry : previous.entries()) {
            if (!kept.contains(entry.key())) {
                removals.add(entry.key());
            }
        }
        Set<ServicePortKey> changed = new HashSet<>(upserts.keySet());
        changed.addAll(removals);
        return new TableChange(previous, previous.apply(upserts, removals), changed);
    }

    /** The change between two whole tables, found by comparing every entry. */
    public static TableChange between(BackendTable previous, BackendTable current) {
        Set<ServicePortKey> changed = new HashSet<>();
        for (ServiceEntry entry : current.entries()) {
            if (!entry.equals(previous.get(entry.key()))) {
                changed.add(entry.key());
            }
        }
        for (ServiceEntry entry : previous.entries()) {
            if (current.get(entry.key()) == null) {
                changed.add(entry.key());
            }
        }
        return new TableChange(previous, current, changed);
    }
}
