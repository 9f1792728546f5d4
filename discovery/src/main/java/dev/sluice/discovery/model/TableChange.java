package dev.sluice.discovery.model;

import java.util.HashSet;
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
