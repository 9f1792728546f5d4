package dev.sluice.proxy.balance;

import java.net.InetAddress;

/**
 * The backend choices of one connection: a first pick by the service's policy (the client's
 * pinned backend when affinity holds one), then, after each failed connect, the next backend
 * not yet tried, until every backend was tried once. Confined to the connection's event loop.
 *
 * <p>Every backend returned by {@link #next} counts as one active connection until the caller
 * reports {@link #failed} or, after {@link #connected}, calls {@link BackendState#release()}.
 */
public final class Dial {
    private final Pool pool;
    private final InetAddress client;
    private int index = -1;
    private BackendState current;
    /** Allocated on the first failure only: most connections never need it. */
    private boolean[] tried;
    private int triedCount;

    Dial(Pool pool, InetAddress client) {
        this.pool = pool;
        this.client = client;
    }

    /**
     * The backend to connect to now, or {@code null} when every backend failed.
     *
     * @param now {@link System#nanoTime()}
     */
    public BackendState next(long now) {
        if (current != null) {
            throw new IllegalStateException("dial: " + current + " still pending (expected: failed() or connected() first)");
        }
        if (pool.isEmpty() || triedCount == pool.size()) {
            return null;
        }
        if (index < 0) {
            int pinned = pool.pinned(client, now);
            index = pinned >= 0 ? pinned : pool.first(now);
        } else {
            index = pool.next(index, tried, now);
        }
        current = pool.get(index);
        current.acquire();
        return current;
    }

    /** Whether a failed attempt was followed by another one. */
    public boolean retrying() {
        return triedCount > 0;
    }

    /**
     * The connect to the current backend failed. Returns true when that ejected it.
     */
    public boolean failed(long now) {
        BackendState failed = take();
        failed.release();
        if (tried == null) {
            tried = new boolean[pool.size()];
        }
        tried[index] = true;
        triedCount++;
        return failed.connectFailed(now, pool.ejection());
    }

    /**
     * The connect to the current backend succeeded: it stays counted as active until released,
     * and the client is pinned to it when the service has affinity. Returns that backend.
     */
    public BackendState connected(long now) {
        BackendState connected = take();
        connected.connectSucceeded();
        pool.pin(client, index, now);
        return connected;
    }

    /** The attempt was abandoned (the client left): the backend is neither failed nor used. */
    public void abandoned() {
        take().release();
    }

    private BackendState take() {
        BackendState state = current;
        if (state == null) {
            throw new IllegalStateException("dial: no attempt pending (expected: next() first)");
        }
        current = null;
        return state;
    }
}
