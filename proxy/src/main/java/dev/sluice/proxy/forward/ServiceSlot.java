package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Balancer;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.balance.Routes;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the proxy keeps for one service port while it is in the table: the current routes
 * (entry + balancing state), its connection counts and its {@link ServiceCounters}. Created when the key
 * appears, updated in place on every change, closed when the key goes; listeners and
 * connections hold the slot, never the entry, so they see each new entry at their next read.
 */
public final class ServiceSlot {
    private final ServicePortKey key;
    private final Balancer balancer;
    private final ServiceCounters counters = new ServiceCounters();
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicInteger udpFlows = new AtomicInteger();

    /** A slot serving {@code entry}, its counts at zero. */
    public ServiceSlot(ServiceEntry entry, Ejection ejection) {
        this.key = entry.key();
        this.balancer = new Balancer(entry, ejection);
    }

    /** The service port. */
    public ServicePortKey key() {
        return key;
    }

    /** The current routes: one volatile read. */
    public Routes routes() {
        return balancer.routes();
    }

    /** This port's data-path counts. */
    public ServiceCounters counters() {
        return counters;
    }

    /** Switches to a new entry version; returns the backends that left it. */
    public List<BackendState> update(ServiceEntry entry) {
        return balancer.update(entry);
    }

    /** Drops expired affinity pins. */
    public void sweep(long now) {
        balancer.sweep(now);
    }

    /** TCP connections admitted and not yet closed. */
    public int activeConnections() {
        return activeConnections.get();
    }

    /** UDP flows open. */
    public int udpFlows() {
        return udpFlows.get();
    }

    /** The key left the table: retire its backends. */
    public void close() {
        balancer.retireAll();
    }

    boolean tryAcquire(int limit) {
        return ConnectionGate.tryAcquire(activeConnections, limit);
    }

    void release() {
        activeConnections.decrementAndGet();
    }

    AtomicInteger udpFlowCount() {
        return udpFlows;
    }

    /** {@code [namespace/name]}, the prefix of every log line about this service. */
    String logPrefix() {
        return "[" + key.serviceName() + "]";
    }
}
