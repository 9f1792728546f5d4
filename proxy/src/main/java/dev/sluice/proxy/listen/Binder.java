package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Protocol;
import dev.sluice.proxy.forward.ConnectionGate;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.forward.UdpForwarder;
import dev.sluice.proxy.net.Transport;
import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * The bind side of a {@link ListenerSet}: opens the listeners a reconcile claims (or registers
 * the sockets a predecessor handed over), at most {@value ListenerSet#BINDS_IN_FLIGHT} at once,
 * records the claims that cannot be bound, and retries them in bounded passes
 * ({@link BindRetries}).
 *
 * <p>Threading: the listener set's monitor guards everything here, as it guards the set's own
 * state; the listeners and failures are concurrent maps so that {@link #bound()} and
 * {@link #sortedFailures()} may read them without it. A retry pass takes that monitor for each
 * bind only.
 */
final class Binder {
    /** The listener set, whose monitor guards this. */
    private final Object lock;
    private final Transport transport;
    private final ForwardSettings settings;
    private final ConnectionGate gate;
    private final EventLoopGroup group;
    private final ServiceSlots slots;
    private final InheritedSockets inherited;
    private final ReconcileLog events;
    private final Counter failureCount;
    /** Written under the lock; read without it by {@link #bound()}. */
    final Map<Listener.Address, Listener> listeners = new ConcurrentHashMap<>();
    /** Written under the lock; read without it by {@link #sortedFailures()}. */
    final Map<Listener.Claim, BindFailure> failures = new ConcurrentHashMap<>();
    private final BindRetries retries = new BindRetries(ListenerSet.RETRY_BATCH);

    Binder(Object lock, Transport transport, ForwardSettings settings, ConnectionGate gate, EventLoopGroup group,
            ServiceSlots slots, InheritedSockets inherited, ReconcileLog events, Counter failureCount) {
        this.lock = lock;
        this.transport = transport;
        this.settings = settings;
        this.gate = gate;
        this.group = group;
        this.slots = slots;
        this.inherited = inherited;
        this.events = events;
        this.failureCount = failureCount;
    }

    /** Binds every claim whose address is free, and logs what happened. */
    void bind(Iterable<Listener.Claim> claims) {
        attempt(claims);
        events.flush(ListenerSet.RETRY_SECONDS);
    }

    /** Binds every claim whose address is free, at most {@value ListenerSet#BINDS_IN_FLIGHT} at once. */
    private void attempt(Iterable<Listener.Claim> claims) {
        Deque<Listener> started = new ArrayDeque<>();
        for (Listener.Claim claim : claims) {
            Listener owner = listeners.get(claim.address());
            if (owner != null) {
                if (!owner.key.equals(claim.key()) || !owner.frontend.equals(claim.frontend())) {
                    fail(claim, "conflict with " + owner.key);
                }
                continue;
            }
            ServiceSlot slot = slots.get(claim.key());
            Listener listener = new Listener(claim.key(), claim.frontend(), claim.address());
            Channel adopted = inherited.take(claim.address());
            listener.bind = claim.address().protocol() == Protocol.TCP
                    ? bindTcp(slot, listener, (ServerChannel) adopted) : bindUdp(slot, listener, (DatagramChannel) adopted);
            listeners.put(claim.address(), listener);
            started.add(listener);
            if (started.size() == ListenerSet.BINDS_IN_FLIGHT) {
                settle(started.poll());
            }
        }
        while (!started.isEmpty()) {
            settle(started.poll());
        }
    }

    /** Waits for a bind; a failed one is closed by its bootstrap, so it holds no socket. */
    private void settle(Listener listener) {
        Listener.Claim claim = new Listener.Claim(listener.key, listener.frontend, listener.address);
        if (listener.bind.awaitUninterruptibly().isSuccess()) {
            failures.remove(claim);
            events.listening("[" + listener.key.serviceName() + "] listening on " + listener.address + " ("
                    + listener.frontend + ")" + (listener.adopted ? ", adopted from the predecessor" : ""));
        } else {
            listeners.remove(listener.address);
            Throwable cause = listener.bind.cause();
            fail(claim, cause.getMessage() == null ? cause.toString() : cause.getMessage());
        }
    }

    /** Binds a new socket, or registers one adopted from a predecessor (already bound and listening). */
    private ChannelFuture bindTcp(ServiceSlot slot, Listener listener, ServerChannel adopted) {
        TcpForwarder forwarder = new TcpForwarder(slot, listener.frontend.type(), settings, gate, listener.connections);
        listener.forwarder = forwarder;
        ServerBootstrap bootstrap = TcpForwarder.configure(new ServerBootstrap())
                .group(group)
                .childHandler(forwarder.childHandler());
        if (adopted != null) {
            listener.adopted = true;
            return bootstrap.channelFactory(() -> adopted).register();
        }
        return bootstrap.channelFactory(() -> transport.newServerChannel(listener.address.socket().getAddress()))
                .bind(listener.address.socket());
    }

    private ChannelFuture bindUdp(ServiceSlot slot, Listener listener, DatagramChannel adopted) {
        UdpForwarder forwarder = new UdpForwarder(slot, listener.frontend.type(), settings);
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .handler(forwarder.frontendHandler());
        if (adopted != null) {
            listener.adopted = true;
            return bootstrap.channelFactory(() -> adopted).register();
        }
        return bootstrap.channel(transport.datagramChannel()).bind(listener.address.socket());
    }

    private void fail(Listener.Claim claim, String reason) {
        BindFailure failure = new BindFailure(claim.key(), claim.frontend(), claim.address().socket(), reason);
        BindFailure previous = failures.put(claim, failure);
        if (previous == null || !previous.reason().equals(reason)) {
            failureCount.increment();
            events.cannotListen("[" + claim.key().serviceName() + "] cannot listen on " + claim.address() + " ("
                    + claim.frontend() + "): " + reason, reason);
        }
    }

    /**
     * One retry pass: at most {@value ListenerSet#RETRY_BATCH} failures, one bind at a time, the
     * lock taken for each bind and released before {@code afterEachBind} runs, so a table is
     * applied between two binds; stops when {@code accepting}, read under the lock, turns false.
     * Returns the binds attempted.
     */
    int retry(BooleanSupplier accepting, Runnable afterEachBind) {
        if (failures.isEmpty()) {
            return 0;
        }
        int attempted = 0;
        for (Listener.Claim claim : retries.next(failures.keySet())) {
            synchronized (lock) {
                if (!accepting.getAsBoolean()) {
                    break;
                }
                if (!failures.containsKey(claim)) {
                    continue;
                }
                attempt(List.of(claim));
                attempted++;
            }
            afterEachBind.run();
        }
        synchronized (lock) {
            events.flush(ListenerSet.RETRY_SECONDS);
        }
        return attempted;
    }

    /** The addresses that could not be bound, in service-port order. */
    List<BindFailure> sortedFailures() {
        List<BindFailure> list = new ArrayList<>(failures.values());
        list.sort(Comparator.comparing(BindFailure::key).thenComparing(f -> f.address().toString()));
        return list;
    }

    /** Listeners whose bind completed; during a reconcile, binds in flight are left out. */
    Set<InetSocketAddress> bound() {
        Set<InetSocketAddress> bound = new HashSet<>();
        for (Listener listener : listeners.values()) {
            ChannelFuture bind = listener.bind;
            if (bind != null && bind.isSuccess()) {
                bound.add(listener.address.socket());
            }
        }
        return Set.copyOf(bound);
    }

    /** Every listening channel, for a handover to pause or resume. */
    List<Channel> channels() {
        List<Channel> channels = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            channels.add(listener.channel());
        }
        return channels;
    }
}
