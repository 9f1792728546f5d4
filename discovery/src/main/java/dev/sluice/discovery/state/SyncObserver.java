package dev.sluice.discovery.state;

import java.time.Duration;

/**
 * Receives what a table source did, for metrics. Discovery stays free of any metrics library;
 * the proxy implements this with its registry. Methods are called on the source's sync thread.
 */
public interface SyncObserver {

    /** Does nothing. */
    SyncObserver NOOP = new SyncObserver() {
    };

    /**
     * One sync applied pending changes and published a table.
     *
     * @param duration        how long the sync took
     * @param serviceChanges  Service objects changed since the previous sync
     * @param endpointChanges EndpointSlice objects changed since the previous sync
     */
    default void synced(Duration duration, int serviceChanges, int endpointChanges) {
    }

    /** The time from an EndpointSlice's last-change-trigger-time annotation to its table. */
    default void networkProgrammed(Duration latency) {
    }

    /**
     * An object or file was rejected, or part of it skipped, for a reason such as
     * {@code invalid-port} or {@code parse-error}.
     */
    default void rejected(String kind, String reason) {
    }

    /**
     * Service ports whose Local traffic policy found no local endpoints, after a sync.
     *
     * @param internal with {@code internalTrafficPolicy: Local}
     * @param external with {@code externalTrafficPolicy: Local}
     */
    default void noLocalEndpoints(int internal, int external) {
    }
}
