package dev.sluice.discovery.state;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the current {@link BackendTable} and swaps in new ones. Readers on the hot path call
 * {@link #current()}: one volatile read, no lock. Publications are serialised so listeners see
 * tables in generation order; a listener that throws is logged and does not stop the others.
 * A table whose new service ports would not fit in the heap is refused ({@link HeapHeadroom}).
 */
public final class TablePublisher {
    private static final Logger log = LoggerFactory.getLogger(TablePublisher.class);

    /** Written only under this publisher's monitor; read by anyone. */
    private volatile BackendTable current = BackendTable.empty();
    private final List<TableListener> listeners = new CopyOnWriteArrayList<>();
    private final HeapHeadroom headroom;

    /** A publisher that checks each table against this JVM's heap. */
    public TablePublisher() {
        this(HeapHeadroom.jvm());
    }

    TablePublisher(HeapHeadroom headroom) {
        this.headroom = headroom;
    }

    /** The latest published table. */
    public BackendTable current() {
        return current;
    }

    /** Registers a listener for every later publication. */
    public void addListener(TableListener listener) {
        listeners.add(listener);
    }

    /**
     * Registers a listener that joins late: it first receives the current table as a change
     * from the empty one, then every later publication, with none missed or repeated in between.
     */
    public synchronized void addListenerCaughtUp(TableListener listener) {
        listener.onTable(TableChange.between(BackendTable.empty(), current));
        listeners.add(listener);
    }

    /** Removes a listener added earlier. */
    public void removeListener(TableListener listener) {
        listeners.remove(listener);
    }

    /** Publishes a whole new table, finding what changed by comparison. */
    public synchronized TableChange publish(BackendTable next) {
        return publish(TableChange.between(current, next));
    }

    /**
     * Publishes {@code change.current()}, which must have been derived from the table this
     * publisher currently holds.
     *
     * @throws TableTooLargeException when its new service ports would not fit in the heap; the
     *                                current table stays
     */
    public synchronized TableChange publish(TableChange change) {
        if (change.previous() != current) {
            throw new IllegalStateException("previous: generation " + change.previous().generation()
                    + " (expected: the current generation " + current.generation() + ")");
        }
        headroom.check(change);
        current = change.current();
        for (TableListener listener : listeners) {
            try {
                listener.onTable(change);
            } catch (RuntimeException e) {
                log.error("table listener {} failed on generation {}", listener, change.current().generation(), e);
            }
        }
        return change;
    }
}
