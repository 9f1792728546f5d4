package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SourceIp;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.forward.UdpForwarder;
import dev.sluice.proxy.tproxy.CaptureScope;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.ChannelFuture;
import io.netty.channel.group.ChannelGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;

/**
 * The per-service-port half of a {@link ListenerSet}'s reconcile: for one changed key, updates
 * its slot, works out the addresses it wants (or its captured destinations), releases the
 * listeners it no longer wants and collects the claims to bind, which the set then binds
 * together ({@link Binder}). Holds no state of its own: the wanted addresses, the orphaned
 * connection groups, the slots and the listeners are the set's, guarded by its monitor, under
 * which every method here runs.
 */
final class Reconciler {
    private final Logger log;
    private final ProxyOptions options;
    private final ForwardSettings settings;
    private final Ejection ejection;
    private final ScheduledExecutorService maintenance;
    private final Counter bindFailureCount;
    private final ServiceSlots slots;
    private final Map<ServicePortKey, Map<Listener.Address, Frontend>> wanted;
    private final List<ChannelGroup> orphans;
    private final Binder binder;
    private final ReconcileLog events;
    /** Null with bound listeners only. */
    private final CapturedFrontends captured;

    Reconciler(Logger log, ProxyOptions options, ForwardSettings settings, ScheduledExecutorService maintenance,
            Counter bindFailureCount, ServiceSlots slots, Map<ServicePortKey, Map<Listener.Address, Frontend>> wanted,
            List<ChannelGroup> orphans, Binder binder, ReconcileLog events, CapturedFrontends captured) {
        this.log = log;
        this.options = options;
        this.settings = settings;
        this.ejection = options.ejection();
        this.maintenance = maintenance;
        this.bindFailureCount = bindFailureCount;
        this.slots = slots;
        this.wanted = wanted;
        this.orphans = orphans;
        this.binder = binder;
        this.events = events;
        this.captured = captured;
    }

    /** A service port is new or changed: its slot takes the entry; claims it has yet to bind go into {@code toBind}. */
    void upsert(ServiceEntry entry, Map<IpFamily, List<InetAddress>> nodeAddresses,
            Map<Listener.Claim, Boolean> toBind, List<ChannelFuture> closing) {
        ServicePortKey key = entry.key();
        ServiceSlot slot = slots.get(key);
        List<BackendState> retired = List.of();
        if (slot == null) {
            slots.put(new ServiceSlot(entry, ejection));
        } else {
            retired = slot.update(entry);
        }
        if (entry.policy().sourceIp() == SourceIp.CLIENT && !settings.returnRouting()) {
            log.warn("[{}] sourceIp: client needs --source-ip client or --capture tproxy (the return routing); "
                    + "backend connections come from the node", key.serviceName());
        }
        if (captured != null && CaptureScope.captured(entry)) {
            // Bound listeners the key had before it was captured (a wildcard listen address edited away) go.
            Map<Listener.Address, Frontend> bound = wanted.remove(key);
            if (bound != null) {
                bound.forEach((address, frontend) -> release(key, frontend, address, closing));
            }
            capture(slots.get(key), entry, nodeAddresses, retired);
            return;
        }
        if (captured != null) {
            captured.removeAll(key);
        }
        Map<Listener.Address, Frontend> next = addresses(entry, nodeAddresses);
        Map<Listener.Address, Frontend> previous = wanted.put(key, next);
        if (previous != null) {
            for (Map.Entry<Listener.Address, Frontend> old : previous.entrySet()) {
                if (!old.getValue().equals(next.get(old.getKey()))) {
                    release(key, old.getValue(), old.getKey(), closing);
                }
            }
        }
        List<ChannelGroup> drained = new ArrayList<>();
        for (Map.Entry<Listener.Address, Frontend> want : next.entrySet()) {
            Listener listener = binder.listeners.get(want.getKey());
            if (listener != null && listener.key.equals(key) && listener.frontend.equals(want.getValue())) {
                if (want.getKey().protocol() == Protocol.UDP) {
                    UdpForwarder.dropStaleFlows(listener.channel());
                } else {
                    drained.add(listener.connections);
                }
            } else {
                toBind.put(new Listener.Claim(key, want.getValue(), want.getKey()), Boolean.TRUE);
            }
        }
        if (!retired.isEmpty()) {
            endpointsRemoved(key, retired, drained);
        }
    }

    /** Logs the endpoints that left a service port; a drain timeout later ends the connections to them. */
    private void endpointsRemoved(ServicePortKey key, List<BackendState> retired, List<ChannelGroup> drained) {
        events.endpointsRemoved("[" + key.serviceName() + "] endpoints removed from " + key + ": " + retired);
        if (!options.drainTimeout().isZero() && !drained.isEmpty()) {
            maintenance.schedule(() -> drained.forEach(g -> g.forEach(TcpForwarder::closeIfBackendRetired)),
                    options.drainTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    /** A captured service port: its destinations point at its slot; no socket is bound. */
    private void capture(ServiceSlot slot, ServiceEntry entry, Map<IpFamily, List<InetAddress>> nodeAddresses,
            List<BackendState> retired) {
        ServicePortKey key = entry.key();
        Map<InetSocketAddress, Frontend> destinations = CaptureScope.destinations(entry,
                family -> nodeAddresses.computeIfAbsent(family, f -> options.nodePortAddresses().resolve(f)));
        captured.put(slot, key.protocol(), destinations).forEach((address, owner) -> {
            bindFailureCount.increment();
            events.cannotListen("[" + key.serviceName() + "] cannot capture " + key.protocol() + " "
                    + Addresses.format(address) + ": conflict with " + owner, "conflict");
        });
        if (!retired.isEmpty()) {
            // UDP destinations have no connection group: connectionsOf is empty for them.
            endpointsRemoved(key, retired, captured.connectionsOf(key));
        }
    }

    /** A service port left the table: its listeners close, its captured destinations go, its connections drain. */
    void remove(ServicePortKey key, List<ChannelFuture> closing) {
        if (captured != null) {
            captured.connectionsOf(key).forEach(this::drain);
            captured.removeAll(key);
        }
        ServiceSlot slot = slots.remove(key);
        Map<Listener.Address, Frontend> previous = wanted.remove(key);
        if (previous != null) {
            previous.forEach((address, frontend) -> release(key, frontend, address, closing));
        }
        if (slot != null) {
            slot.close();
            events.removed("[" + key.serviceName() + "] removed " + key);
        }
    }

    /** The key no longer wants the address: forget its failure, or close its listener. */
    private void release(ServicePortKey key, Frontend frontend, Listener.Address address, List<ChannelFuture> closing) {
        binder.failures.remove(new Listener.Claim(key, frontend, address));
        Listener listener = binder.listeners.get(address);
        if (listener == null || !listener.key.equals(key) || !listener.frontend.equals(frontend)) {
            return;
        }
        binder.listeners.remove(address);
        closing.add(listener.channel().close());
        events.stopped("[" + key.serviceName() + "] stopped listening on " + address + " (" + frontend + ")");
        drain(listener);
    }

    /** Established connections outlive their listener, like conntrack entries, unless a drain timeout ends them. */
    private void drain(Listener listener) {
        drain(listener.connections);
    }

    private void drain(ChannelGroup connections) {
        if (connections.isEmpty()) {
            return;
        }
        orphans.add(connections);
        if (!options.drainTimeout().isZero()) {
            maintenance.schedule(() -> connections.close(), options.drainTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private Map<Listener.Address, Frontend> addresses(ServiceEntry entry, Map<IpFamily, List<InetAddress>> nodeAddresses) {
        Protocol protocol = entry.key().protocol();
        Map<Listener.Address, Frontend> result = new LinkedHashMap<>();
        for (Frontend frontend : entry.frontends()) {
            if (frontend.address() != null) {
                result.putIfAbsent(new Listener.Address(protocol, new InetSocketAddress(frontend.address(), frontend.port())),
                        frontend);
                continue;
            }
            List<InetAddress> node = nodeAddresses.computeIfAbsent(entry.key().family(),
                    family -> options.nodePortAddresses().resolve(family));
            for (InetAddress address : node) {
                result.putIfAbsent(new Listener.Address(protocol, new InetSocketAddress(address, frontend.port())), frontend);
            }
        }
        // Kept for as long as the key is in the table: most keys want one address, and an
        // immutable one-entry map costs a fifth of a linked hash map.
        if (result.size() == 1) {
            Map.Entry<Listener.Address, Frontend> only = result.entrySet().iterator().next();
            return Map.of(only.getKey(), only.getValue());
        }
        return result;
    }
}
