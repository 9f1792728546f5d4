package dev.sluice.discovery.state;

/**
 * Something that publishes tables: the Kubernetes watcher or a static file. {@link #start()}
 * returns once the first complete table is published, or throws with a message that says what
 * stopped it; afterwards the source keeps publishing until closed.
 */
public interface TableSource extends AutoCloseable {

    /** Publishes the first complete table, then keeps it current in the background. */
    void start() throws Exception;

    /** Stops watching. The last table stays published. */
    @Override
    void close();
}
