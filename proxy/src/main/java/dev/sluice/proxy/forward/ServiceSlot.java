package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Balancer;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.balance.Routes;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything the proxy keeps for one service port while it is in the table: the current routes
 * (entry + balancing state), its connection counts and its meters. Created when the key
 * appears, updated in place on every change, closed when the key goes; listeners and
 * connections hold the slot, never the entry, so they see each new entry at their next read.
 */
public final class ServiceSlot {
    private final ServicePortKey key;
    private final Balancer balancer;
    private final ServiceMeters meters;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicInteger udpFlows = new AtomicInteger();

    /** A slot serving {@code entry}, with its meters registered. */
    public ServiceSlot(ServiceEntry entry, Ejection ejection, MeterRegistry registry) {
        this.key = entry.key();
        this.balancer = new Balancer(entry, ejection);
        this.meters = new ServiceMeters(registry, key, activeConnections, udpFlows);
    }

    /** The service port. */
    public ServicePortKey key() {
        return key;
    }

    /** The current routes: one volatile read. */
    public Routes routes() {
        return balancer.routes();
    }

    /** This port's meters. */
    public ServiceMeters meters() {
        return meters;
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

    /** The key left the table: retire its backends and remove its meters. */
    public void close() {
        balancer.retireAll();
        meters.remove();
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
