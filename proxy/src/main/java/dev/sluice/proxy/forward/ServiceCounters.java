package dev.sluice.proxy.forward;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The data-path counts of one service port, in one array the slot already holds: counting is one
 * atomic add at a fixed index, never a lookup, a lock or an allocation. Nothing here is a meter;
 * {@code /metrics} reads the counts when it is scraped.
 *
 * <p>Implementation notes: one {@link AtomicLongArray} of {@link #SIZE} longs is about 120 bytes
 * per service port, where a Micrometer counter per count and tag set cost about 14 meters (a few
 * KiB with their ids and tags). With one event loop (the default) the adds never contend; with
 * several, loops serving the same service port share its cache line, as they shared the adders
 * before.
 */
public final class ServiceCounters {
    /** Connections (TCP) or flows (UDP) accepted. */
    public static final int ACCEPTED = 0;
    /** Backend connects that failed. */
    public static final int CONNECT_FAILURES = 1;
    /** Connects retried on another backend. */
    public static final int CONNECT_RETRIES = 2;
    /** Backends ejected after consecutive connect failures. */
    public static final int EJECTIONS = 3;
    /** Connections closed for being idle. */
    public static final int IDLE_TIMEOUTS = 4;
    /** Bytes relayed from clients to backends. */
    public static final int BYTES_TO_BACKEND = 5;
    /** Bytes relayed from backends to clients. */
    public static final int BYTES_TO_CLIENT = 6;
    private static final int FIRST_REFUSAL = 7;
    /** How many counts there are: the refusals follow {@link #BYTES_TO_CLIENT}, one per {@link Refusal}. */
    public static final int SIZE = FIRST_REFUSAL + Refusal.values().length;

    private final AtomicLongArray counts = new AtomicLongArray(SIZE);

    /** The index of the refusals for {@code reason}. */
    public static int refused(Refusal reason) {
        return FIRST_REFUSAL + reason.ordinal();
    }

    void increment(int index) {
        counts.getAndIncrement(index);
    }

    void add(int index, long delta) {
        counts.getAndAdd(index, delta);
    }

    void refuse(Refusal reason) {
        increment(refused(reason));
    }

    /** Adds every count to {@code totals}, index by index. */
    public void addTo(long[] totals) {
        for (int i = 0; i < SIZE; i++) {
            totals[i] += counts.get(i);
        }
    }
}
