package dev.sluice.discovery.model;

/**
 * Told about every published table, in order, on the publisher's thread. Implementations must
 * return quickly: the next publication waits for them.
 */
@FunctionalInterface
public interface TableListener {
    void onTable(TableChange change);
}
