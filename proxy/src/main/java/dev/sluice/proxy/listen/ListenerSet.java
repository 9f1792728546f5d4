package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SourceIp;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Ejection;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.forward.ConnectionGate;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.forward.UdpForwarder;
import dev.sluice.proxy.net.Transport;
import dev.sluice.proxy.tproxy.CaptureScope;
import dev.sluice.proxy.tproxy.Transparency;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's listening sockets, kept equal to the published table: for every frontend of
 * every entry one TCP or UDP server channel (NodePort frontends on each
 * {@link NodePortAddresses node address}). Each table change reconciles only the changed keys:
 * it binds what is new, closes what went away and leaves the rest untouched, so a listener
 * whose frontend stays keeps its channel and sees the new entry through its service's slot.
 *
 * <p>An address that cannot be bound (in use, not local, claimed by another service port,
 * where the first claim wins) is logged, counted and reported by {@link #bindFailures()}, and
 * retried every {@value #RETRY_SECONDS} seconds, and at once by a table that closes a listener
 * (the freed port may be what it waits for); it never affects other listeners. A retry pass
 * tries at most {@value #RETRY_BATCH} failures, in turn ({@link BindRetries}), one bind at a
 * time, taking the lock for each bind only, so a table waits for one bind at most. At most
 * {@value #BINDS_IN_FLIGHT} binds are in flight at once, so a table of 50,000 addresses never
 * opens 50,000 sockets together. Many bind events in one reconcile are summarised in the log
 * ({@link ReconcileLog}). Connections through a closed listener, or to a removed endpoint,
 * run until they end, or until the drain timeout when one is set.
 *
 * <p>Threading: the public methods are serialised by this object's monitor (the table
 * publisher's thread and the maintenance thread); event loops never take it. Must not be
 * called from one of its own event loops, since it waits for binds. {@link #status()} and
 * {@link #activeConnections()} take no lock: a status page never waits for a reconcile.
 *
 * <p>Cost: a table costs time in proportion to the service ports it changed (and the listeners
 * those own), not to the size of the table; the status snapshot is built when a status page
 * asks for it, in one pass over the listeners.
 */
public final class ListenerSet implements TableListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ListenerSet.class);
    private static final int RETRY_SECONDS = 5;
    /** Failed binds retried per pass: 50,000 addresses this host lacks come round in 4 minutes. */
    static final int RETRY_BATCH = 1_000;
    /** Sockets opening at once in one reconcile; far below any open-files limit. */
    static final int BINDS_IN_FLIGHT = 64;

    private final Transport transport;
    private final ProxyOptions options;
    private final MeterRegistry registry;
    private final ForwardSettings settings;
    private final Ejection ejection;
    private final ConnectionGate gate;
    private final EventLoopGroup group;
    private final ScheduledExecutorService maintenance;
    private final Counter bindFailureCount;
    /** The transparent listeners of {@code --capture tproxy}; null with bound listeners only. */
    private final CapturedFrontends captured;

    // Guarded by this.
    private final ServiceSlots slots = new ServiceSlots();
    private final Map<ServicePortKey, Map<Listener.Address, Frontend>> wanted = new HashMap<>();
    /** Written under this; read without a lock by {@link #status()}. */
    private final Map<Listener.Address, Listener> listeners = new ConcurrentHashMap<>();
    /** Written under this; read without a lock by {@link #status()}. */
    private final Map<Listener.Claim, BindFailure> failures = new ConcurrentHashMap<>();
    /** Connections of closed listeners that were still open then; emptied groups are dropped by maintenance. */
    private final List<ChannelGroup> orphans = new ArrayList<>();
    /** Listening sockets a predecessor handed over, not yet wanted by a table; see {@link #adopt}. */
    private final InheritedSockets inherited = new InheritedSockets(log);
    private final ReconcileLog events = new ReconcileLog(log);
    private final BindRetries retries = new BindRetries(RETRY_BATCH);
    private boolean accepting = true;
    private boolean closed;

    /**
     * Starts the event loops ({@code options.eventLoopThreads()} of {@code transport}) and the
     * maintenance thread; listens on nothing until the first {@link #onTable}.
     */
    public ListenerSet(Transport transport, ProxyOptions options, MeterRegistry registry) {
        this(transport, options, registry, Transparency.OFF);
    }

    /**
     * As {@link #ListenerSet(Transport, ProxyOptions, MeterRegistry)}, with the choices of
     * {@code --capture} and {@code --source-ip}. With {@code tproxy} capture the two transparent
     * listeners are open when this returns ({@link #capturePorts()}), and captured frontends
     * ({@link CaptureScope}) get no socket of their own.
     *
     * @throws IllegalStateException when the transparent listeners cannot be opened
     */
    public ListenerSet(Transport transport, ProxyOptions options, MeterRegistry registry, Transparency transparency) {
        this.transport = transport;
        this.options = options;
        this.registry = registry;
        this.settings = options.forwardSettings(transport)
                .withSource(transparency.clientSource(), transparency.needsKernelRules());
        this.ejection = options.ejection();
        this.gate = new ConnectionGate(options.maxConnections());
        this.bindFailureCount = Counter.builder("sluice.listeners.bind.failures")
                .description("Listen addresses that could not be bound (each address and reason counted once)")
                .register(registry);
        this.group = transport.newGroup(options.eventLoopThreads(), "sluice-io");
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-listeners");
            thread.setDaemon(true);
            return thread;
        });
        maintenance.scheduleWithFixedDelay(this::maintain, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        CapturedFrontends capture = null;
        if (transparency.tproxyCapture()) {
            try {
                capture = CapturedFrontends.open(settings, gate, registry, group, transport);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }
        this.captured = capture;
    }

    /** Destinations (address, protocol, port) served through the transparent listeners; 0 without tproxy capture. */
    public synchronized int capturedFrontends() {
        return captured == null ? 0 : captured.size();
    }

    /** The ports of the transparent TCP and UDP listeners on 127.0.0.1 ({@code --capture tproxy}), else null. */
    public CapturePorts capturePorts() {
        return captured == null ? null : new CapturePorts(captured.tcpPort(), captured.udpPort());
    }

    /** Where nftables diverts captured TCP and UDP frontends: ports of 127.0.0.1. */
    public record CapturePorts(int tcp, int udp) {
    }

    @Override
    public synchronized void onTable(TableChange change) {
        if (!accepting) {
            return;
        }
        Map<IpFamily, List<InetAddress>> nodeAddresses = new EnumMap<>(IpFamily.class);
        Map<Listener.Claim, Boolean> toBind = new LinkedHashMap<>();
        List<ChannelFuture> closing = new ArrayList<>();
        for (ServicePortKey key : new TreeSet<>(change.changed())) {
            ServiceEntry entry = change.current().get(key);
            if (entry == null) {
                remove(key, closing);
            } else {
                upsert(entry, nodeAddresses, toBind, closing);
            }
        }
        // A port released by one service may be claimed by another in the same table; other
        // failures wait for the periodic retry, so a table costs what it changed.
        closing.forEach(ChannelFuture::awaitUninterruptibly);
        if (!closing.isEmpty()) {
            for (Listener.Claim claim : failures.keySet()) {
                toBind.putIfAbsent(claim, Boolean.TRUE);
            }
        }
        bind(toBind.keySet());
        inherited.closeRest();
    }

    /**
     * Sockets a predecessor handed over (unregistered channels of this set's transport, bound
     * and listening, TCP or UDP). The next table registers those it wants instead of binding
     * their addresses anew and closes the rest, as a table change closes a listener it no longer
     * wants: call before the first table.
     */
    public synchronized void adopt(List<Channel> sockets) {
        inherited.add(sockets);
    }

    /**
     * Stops reading from every listening socket without closing it, for a successor about to
     * take them: new connections and datagrams wait in the kernel's queues of the sockets
     * themselves, which the successor's copies share. Later tables are ignored until
     * {@link #resumeAfterHandover()} or {@link #stopAccepting()}. Returns the paused channels.
     */
    public synchronized List<Channel> pauseForHandover() {
        List<Channel> paused = new ArrayList<>();
        if (!accepting) {
            return paused;
        }
        accepting = false;
        for (Listener listener : listeners.values()) {
            paused.add(listener.channel());
        }
        InheritedSockets.setReading(paused, false);
        log.info("paused {} listener(s) for a handover", paused.size());
        return paused;
    }

    /**
     * Takes every established connection of the paused TCP listeners off its event loop, for a
     * successor that serves the same listeners; each future completes with null for one that
     * must stay here (see {@link TcpForwarder#detach}).
     */
    public synchronized List<MovingConnection> detachConnections() {
        List<MovingConnection> moving = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            if (listener.forwarder != null) {
                for (Channel connection : listener.connections) {
                    moving.add(new MovingConnection(listener.address.socket(), TcpForwarder.detach(connection)));
                }
            }
        }
        return moving;
    }

    /**
     * Relays a connection a predecessor accepted on {@code listener}: returns false when this
     * set has no TCP listener there or its service cannot take it (see {@link TcpForwarder#resume}).
     */
    public synchronized boolean resumeConnection(InetSocketAddress listener, SocketChannel client, SocketChannel backend,
            InetSocketAddress backendAddress) {
        Listener owner = listeners.get(new Listener.Address(Protocol.TCP, listener));
        return owner != null && owner.forwarder != null && owner.forwarder.resume(group.next(), client, backend, backendAddress);
    }

    /** Every live client-IP affinity pin of every service port, for a successor. */
    public synchronized List<AffinityPin> affinityPins() {
        long now = System.nanoTime();
        List<AffinityPin> all = new ArrayList<>();
        for (ServiceSlot slot : slots.all()) {
            Pool internal = slot.routes().poolFor(FrontendType.CLUSTER_IP);
            Pool external = slot.routes().poolFor(FrontendType.NODE_PORT);
            internal.pinned(now).forEach(pin -> all.add(new AffinityPin(slot.key(), false, pin)));
            if (external != internal) {
                external.pinned(now).forEach(pin -> all.add(new AffinityPin(slot.key(), true, pin)));
            }
        }
        return all;
    }

    /** Restores a predecessor's pin where this table still has that service port, affinity and backend. */
    public synchronized boolean restoreAffinity(AffinityPin pin) {
        ServiceSlot slot = slots.get(pin.key());
        return slot != null && slot.routes().poolFor(pin.external() ? FrontendType.NODE_PORT : FrontendType.CLUSTER_IP)
                .restore(pin.pinned(), System.nanoTime());
    }

    /** Reads from every listening socket again after a handover failed; the next table applies as usual. */
    public synchronized void resumeAfterHandover() {
        if (accepting || closed) {
            return;
        }
        accepting = true;
        List<Channel> paused = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            paused.add(listener.channel());
        }
        InheritedSockets.setReading(paused, true);
    }

    private void upsert(ServiceEntry entry, Map<IpFamily, List<InetAddress>> nodeAddresses,
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
            Listener listener = listeners.get(want.getKey());
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

    private void remove(ServicePortKey key, List<ChannelFuture> closing) {
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
        failures.remove(new Listener.Claim(key, frontend, address));
        Listener listener = listeners.get(address);
        if (listener == null || !listener.key.equals(key) || !listener.frontend.equals(frontend)) {
            return;
        }
        listeners.remove(address);
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

    /** Binds every claim whose address is free, and logs what happened. */
    private void bind(Iterable<Listener.Claim> claims) {
        attempt(claims);
        events.flush(RETRY_SECONDS);
    }

    /** Binds every claim whose address is free, at most {@value #BINDS_IN_FLIGHT} at once. */
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
            if (started.size() == BINDS_IN_FLIGHT) {
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
            bindFailureCount.increment();
            events.cannotListen("[" + claim.key().serviceName() + "] cannot listen on " + claim.address() + " ("
                    + claim.frontend() + "): " + reason, reason);
        }
    }

    private void maintain() {
        retryFailedBinds(() -> { });
        synchronized (this) {
            if (!accepting) {
                return;
            }
            long now = System.nanoTime();
            slots.all().forEach(slot -> slot.sweep(now));
            orphans.removeIf(ChannelGroup::isEmpty);
        }
    }

    /**
     * One retry pass: at most {@value #RETRY_BATCH} failures, one bind at a time, the lock taken
     * for each bind and released before {@code afterEachBind} runs, so a table is applied
     * between two binds. Returns the binds attempted.
     */
    int retryFailedBinds(Runnable afterEachBind) {
        if (failures.isEmpty()) {
            return 0;
        }
        int attempted = 0;
        for (Listener.Claim claim : retries.next(failures.keySet())) {
            synchronized (this) {
                if (!accepting) {
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
        synchronized (this) {
            events.flush(RETRY_SECONDS);
        }
        return attempted;
    }

    /** The addresses that could not be bound, in service-port order. */
    public synchronized List<BindFailure> bindFailures() {
        return sortedFailures();
    }

    private List<BindFailure> sortedFailures() {
        List<BindFailure> list = new ArrayList<>(failures.values());
        list.sort(Comparator.comparing(BindFailure::key).thenComparing(f -> f.address().toString()));
        return list;
    }

    /** The addresses listened on, TCP and UDP alike. */
    public synchronized Set<InetSocketAddress> boundAddresses() {
        return bound();
    }

    /** Listeners whose bind completed; during a reconcile, binds in flight are left out. */
    private Set<InetSocketAddress> bound() {
        Set<InetSocketAddress> bound = new HashSet<>();
        for (Listener listener : listeners.values()) {
            ChannelFuture bind = listener.bind;
            if (bind != null && bind.isSuccess()) {
                bound.add(listener.address.socket());
            }
        }
        return Set.copyOf(bound);
    }

    /** The bound addresses and bind failures as they are now; takes no lock, so a reconcile may be half seen. */
    public ListenerStatus status() {
        return new ListenerStatus(bound(), sortedFailures());
    }

    /** The slot of every service port, whose counts {@code /metrics} reads; takes no lock. */
    public ServiceSlots slots() {
        return slots;
    }

    /** TCP connections admitted and not yet closed, over all services. */
    public int activeConnections() {
        return gate.active();
    }

    /**
     * Closes every listening socket and ignores later tables: the first step of a graceful
     * shutdown. Established connections continue.
     */
    public synchronized void stopAccepting() {
        if (!accepting && listeners.isEmpty()) {
            return;
        }
        accepting = false;
        if (captured != null) {
            captured.close();
            // Their connections run on, like those of closed bound listeners, until close().
            captured.connectionGroups().stream().filter(g -> !g.isEmpty()).forEach(orphans::add);
        }
        List<ChannelFuture> closing = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            closing.add(listener.channel().close());
            if (!listener.connections.isEmpty()) {
                orphans.add(listener.connections);
            }
        }
        closing.forEach(ChannelFuture::awaitUninterruptibly);
        listeners.clear();
        failures.clear();
        log.info("stopped accepting; {} connections still open", gate.active());
    }

    /**
     * Closes every socket, connections included, and stops the event loops, unless the transport
     * cannot stop them safely ({@link Transport#stopsCleanly()}): then its daemon threads stay
     * idle until the process ends.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopAccepting();
            inherited.closeRest();
            maintenance.shutdownNow();
            // Connections first, so the event loops see them close before they stop.
            orphans.forEach(connections -> connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS));
            orphans.clear();
            List.copyOf(slots.all()).forEach(slot -> slots.remove(slot.key()).close());
            wanted.clear();
        }
        registry.remove(bindFailureCount);
        if (transport.stopsCleanly()) {
            group.shutdownGracefully(50, 2_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        } else {
            log.debug("leaving the {} event loops to end with the process", transport);
        }
    }

    /** The listening channel for an address, for tests that check a channel survives a reconcile. */
    synchronized Channel listenerChannel(Protocol protocol, InetSocketAddress address) {
        Listener listener = listeners.get(new Listener.Address(protocol, address));
        return listener == null ? null : listener.channel();
    }

    /** Every open accepted TCP connection. */
    synchronized List<Channel> connections() {
        List<Channel> all = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            all.addAll(listener.connections);
        }
        orphans.forEach(all::addAll);
        if (captured != null) {
            captured.connections(all);
        }
        return all;
    }
}
