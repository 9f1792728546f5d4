package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.TableChange;
import dev.sluice.discovery.model.TableListener;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.forward.ConnectionGate;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.ServiceSlots;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.net.Transport;
import dev.sluice.proxy.tproxy.CaptureScope;
import dev.sluice.proxy.tproxy.Transparency;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
    static final int RETRY_SECONDS = 5;
    /** Failed binds retried per pass: 50,000 addresses this host lacks come round in 4 minutes. */
    static final int RETRY_BATCH = 1_000;
    /** Sockets opening at once in one reconcile; far below any open-files limit. */
    static final int BINDS_IN_FLIGHT = 64;

    private final Transport transport;
    private final ProxyOptions options;
    private final MeterRegistry registry;
    private final ForwardSettings settings;
    private final ConnectionGate gate;
    private final EventLoopGroup group;
    private final ScheduledExecutorService maintenance;
    private final Counter bindFailureCount;
    /** The transparent listeners of {@code --capture tproxy}; null with bound listeners only. */
    private final CapturedFrontends captured;

    // Guarded by this.
    private final ServiceSlots slots = new ServiceSlots();
    private final Map<ServicePortKey, Map<Listener.Address, Frontend>> wanted = new HashMap<>();
    /** Connections of closed listeners that were still open then; emptied groups are dropped by maintenance. */
    private final List<ChannelGroup> orphans = new ArrayList<>();
    /** Listening sockets a predecessor handed over, not yet wanted by a table; see {@link #adopt}. */
    private final InheritedSockets inherited = new InheritedSockets(log);
    private final ReconcileLog events = new ReconcileLog(log);
    /** The bound listeners and the claims that failed; guarded by this, read without a lock by {@link #status()}. */
    private final Binder binder;
    private final Reconciler reconciler;
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
        this.gate = new ConnectionGate(options.maxConnections());
        this.bindFailureCount = Counter.builder("sluice.listeners.bind.failures")
                .description("Listen addresses that could not be bound (each address and reason counted once)")
                .register(registry);
        this.group = transport.newGroup(options.eventLoopThreads(), "sluice-io");
        this.binder = new Binder(this, transport, settings, gate, group, slots, inherited, events, bindFailureCount);
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
        this.reconciler = new Reconciler(log, options, settings, maintenance, bindFailureCount, slots, wanted, orphans,
                binder, events, captured);
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
                reconciler.remove(key, closing);
            } else {
                reconciler.upsert(entry, nodeAddresses, toBind, closing);
            }
        }
        // A port released by one service may be claimed by another in the same table; other
        // failures wait for the periodic retry, so a table costs what it changed.
        closing.forEach(ChannelFuture::awaitUninterruptibly);
        if (!closing.isEmpty()) {
            for (Listener.Claim claim : binder.failures.keySet()) {
                toBind.putIfAbsent(claim, Boolean.TRUE);
            }
        }
        binder.bind(toBind.keySet());
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
        if (!accepting) {
            return new ArrayList<>();
        }
        accepting = false;
        List<Channel> paused = binder.channels();
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
        for (Listener listener : binder.listeners.values()) {
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
        Listener owner = binder.listeners.get(new Listener.Address(Protocol.TCP, listener));
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
        InheritedSockets.setReading(binder.channels(), true);
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

    /** One retry pass of {@link Binder#retry}, stopped by a handover or shutdown; returns the binds attempted. */
    int retryFailedBinds(Runnable afterEachBind) {
        return binder.retry(() -> accepting, afterEachBind);
    }

    /** The addresses that could not be bound, in service-port order. */
    public synchronized List<BindFailure> bindFailures() {
        return binder.sortedFailures();
    }

    /** The addresses listened on, TCP and UDP alike. */
    public synchronized Set<InetSocketAddress> boundAddresses() {
        return binder.bound();
    }

    /** The bound addresses and bind failures as they are now; takes no lock, so a reconcile may be half seen. */
    public ListenerStatus status() {
        return new ListenerStatus(binder.bound(), binder.sortedFailures());
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
        if (!accepting && binder.listeners.isEmpty()) {
            return;
        }
        accepting = false;
        if (captured != null) {
            captured.close();
            // Their connections run on, like those of closed bound listeners, until close().
            captured.connectionGroups().stream().filter(g -> !g.isEmpty()).forEach(orphans::add);
        }
        List<ChannelFuture> closing = new ArrayList<>();
        for (Listener listener : binder.listeners.values()) {
            closing.add(listener.channel().close());
            if (!listener.connections.isEmpty()) {
                orphans.add(listener.connections);
            }
        }
        closing.forEach(ChannelFuture::awaitUninterruptibly);
        binder.listeners.clear();
        binder.failures.clear();
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
        Listener listener = binder.listeners.get(new Listener.Address(protocol, address));
        return listener == null ? null : listener.channel();
    }

    /** Every open accepted TCP connection. */
    synchronized List<Channel> connections() {
        List<Channel> all = new ArrayList<>();
        for (Listener listener : binder.listeners.values()) {
            all.addAll(listener.connections);
        }
        orphans.forEach(all::addAll);
        if (captured != null) {
            captured.connections(all);
        }
        return all;
    }
}
