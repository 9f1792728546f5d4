package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.forward.CapturedDatagrams;
import dev.sluice.proxy.forward.ConnectionGate;
import dev.sluice.proxy.forward.ForwardSettings;
import dev.sluice.proxy.forward.ServiceSlot;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.forward.UdpForwarder;
import dev.sluice.proxy.net.Transport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frontends of {@code --capture tproxy}: one transparent TCP and one transparent UDP
 * listener on 127.0.0.1, to which nftables diverts every captured frontend's packets, and the
 * map from original destination to frontend that every accepted connection and every datagram
 * reads once. The accepted socket's local address is the destination the client chose (the
 * ClusterIP, the node address of a NodePort...); a datagram's arrives as its recipient
 * ({@code IP_RECVORIGDSTADDR}).
 *
 * <p>Per frontend this costs one map entry and one forwarder, no socket and no interface
 * address. Threading: {@link #put} and {@link #remove} run under the listener set's monitor;
 * the event loops only read the concurrent maps.
 */
final class CapturedFrontends implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CapturedFrontends.class);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** One captured destination: its service port, frontend, and forwarder; TCP ones also the port's connection group. */
    private record Route(ServicePortKey key, Frontend frontend, TcpForwarder tcp, CapturedDatagrams udp,
            ChannelGroup connections) {
    }

    private final ForwardSettings settings;
    private final ConnectionGate gate;
    private final MeterRegistry registry;
    private final Counter unmatched;
    private final Channel tcpListener;
    private final Channel udpListener;
    private final Map<InetSocketAddress, Route> tcpRoutes = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Route> udpRoutes = new ConcurrentHashMap<>();
    /** Each service port's destinations, so a change touches only its own. Guarded by the listener set's monitor. */
    private final Map<ServicePortKey, Map<InetSocketAddress, Route>> byKey = new HashMap<>();

    private CapturedFrontends(ForwardSettings settings, ConnectionGate gate, MeterRegistry registry,
            EventLoopGroup group, Transport transport) {
        this.settings = settings;
        this.gate = gate;
        this.registry = registry;
        this.unmatched = Counter.builder("sluice.capture.unmatched")
                .description("Connections and datagrams diverted to Sluice for no known frontend (reset or dropped)")
                .register(registry);
        ChannelFuture tcp = TcpForwarder.configure(new ServerBootstrap())
                .group(group)
                .channelFactory(() -> transport.newServerChannel(LOOPBACK))
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        accepted(channel);
                    }
                })
                .bind(new InetSocketAddress(LOOPBACK, 0));
        ChannelFuture udp = new Bootstrap()
                .group(group)
                .channel(transport.datagramChannel())
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .option(EpollChannelOption.IP_RECVORIGDSTADDR, true)
                .handler(new Datagrams())
                .bind(new InetSocketAddress(LOOPBACK, 0));
        this.tcpListener = tcp.channel();
        this.udpListener = udp.channel();
        for (ChannelFuture bound : List.of(tcp, udp)) {
            if (!bound.awaitUninterruptibly().isSuccess()) {
                close();
                throw new IllegalStateException("--capture tproxy: cannot open the transparent listener on "
                        + LOOPBACK.getHostAddress() + ": " + bound.cause(), bound.cause());
            }
        }
    }

    /** Opens the two transparent listeners; fails with one line when the kernel refuses them. */
    static CapturedFrontends open(ForwardSettings settings, ConnectionGate gate, MeterRegistry registry,
            EventLoopGroup group, Transport transport) {
        if (!transport.name().equals("epoll")) {
            throw new IllegalStateException("--capture tproxy: needs the epoll transport (transport: " + transport.name()
                    + "), the one whose sockets take IP_TRANSPARENT and IP_RECVORIGDSTADDR");
        }
        requireTransparency();
        return new CapturedFrontends(settings, gate, registry, group, transport);
    }

    /** Netty only logs an option the kernel refused at bind: ask once on a probe socket, and fail loudly. */
    private static void requireTransparency() {
        EpollSocketChannel probe = new EpollSocketChannel();
        try {
            probe.config().setOption(EpollChannelOption.IP_TRANSPARENT, true);
        } catch (ChannelException e) {
            throw new IllegalStateException("--capture tproxy: the kernel refused IP_TRANSPARENT: " + e.getMessage()
                    + " (expected: CAP_NET_ADMIN)", e);
        } finally {
            probe.unsafe().closeForcibly();
        }
    }

    int tcpPort() {
        return ((InetSocketAddress) tcpListener.localAddress()).getPort();
    }

    int udpPort() {
        return ((InetSocketAddress) udpListener.localAddress()).getPort();
    }

    private void accepted(Channel channel) {
        Route route = tcpRoutes.get((InetSocketAddress) channel.localAddress());
        if (route == null) {
            unmatched.increment();
            channel.close();
            return;
        }
        route.tcp().adopt(channel);
    }

    /** Hands each datagram to the flows of its original destination. */
    private final class Datagrams extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Route route = msg instanceof DatagramPacket packet ? udpRoutes.get(packet.recipient()) : null;
            if (route == null) {
                unmatched.increment();
                ReferenceCountUtil.release(msg);
                return;
            }
            route.udp().receive((DatagramPacket) msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("transparent UDP listener error: {}", cause.toString());
        }
    }

    /**
     * Points the destinations of a service port at its slot: keeps the routes whose frontend is
     * unchanged (their flows are checked for a departed backend), replaces the others, drops
     * those no longer wanted. A destination another service port already holds stays with it.
     *
     * @return the destinations held by another service port
     */
    Map<InetSocketAddress, ServicePortKey> put(ServiceSlot slot, Protocol protocol, Map<InetSocketAddress, Frontend> wanted) {
        Map<InetSocketAddress, Route> routes = protocol == Protocol.TCP ? tcpRoutes : udpRoutes;
        ServicePortKey key = slot.key();
        Map<InetSocketAddress, Route> own = byKey.computeIfAbsent(key, k -> new HashMap<>());
        own.entrySet().removeIf(held -> {
            boolean gone = !held.getValue().frontend().equals(wanted.get(held.getKey()));
            if (gone) {
                remove(routes, held.getKey(), held.getValue());
            }
            return gone;
        });
        Map<InetSocketAddress, ServicePortKey> conflicts = new HashMap<>();
        for (Map.Entry<InetSocketAddress, Frontend> want : wanted.entrySet()) {
            Route current = routes.get(want.getKey());
            if (current != null && !current.key().equals(key)) {
                conflicts.put(want.getKey(), current.key());
            } else if (current != null) {
                if (current.udp() != null) {
                    udpListener.eventLoop().execute(current.udp()::dropStaleFlows);
                }
            } else {
                Route route = route(slot, protocol, want.getValue(), want.getKey(), own);
                routes.put(want.getKey(), route);
                own.put(want.getKey(), route);
            }
        }
        if (own.isEmpty()) {
            byKey.remove(key);
        }
        return conflicts;
    }

    /**
     * A new destination of a service port. TCP destinations of one port share its connection
     * group, and those of one frontend type (a NodePort's node addresses) their forwarder: the
     * per-destination cost is then the route and its map entries. A UDP destination keeps its
     * own flows, since replies leave from its address.
     */
    private Route route(ServiceSlot slot, Protocol protocol, Frontend frontend, InetSocketAddress address,
            Map<InetSocketAddress, Route> siblings) {
        if (protocol == Protocol.UDP) {
            CapturedDatagrams flows = new UdpForwarder(slot, frontend.type(), settings).captured(udpListener, address);
            return new Route(slot.key(), frontend, null, flows, null);
        }
        ChannelGroup connections = null;
        for (Route sibling : siblings.values()) {
            connections = sibling.connections();
            if (sibling.frontend().type() == frontend.type()) {
                return new Route(slot.key(), frontend, sibling.tcp(), null, connections);
            }
        }
        if (connections == null) {
            connections = new DefaultChannelGroup(slot.key().toString(), ImmediateEventExecutor.INSTANCE);
        }
        return new Route(slot.key(), frontend, new TcpForwarder(slot, frontend.type(), settings, gate, connections),
                null, connections);
    }

    /** Drops every destination of a service port; its established connections run on. */
    void removeAll(ServicePortKey key) {
        Map<InetSocketAddress, Route> own = byKey.remove(key);
        if (own != null) {
            Map<InetSocketAddress, Route> routes = key.protocol() == Protocol.TCP ? tcpRoutes : udpRoutes;
            own.forEach((address, route) -> remove(routes, address, route));
        }
    }

    /** The open connections accepted for a service port's destinations, for a drain. */
    List<ChannelGroup> connectionsOf(ServicePortKey key) {
        Map<InetSocketAddress, Route> own = byKey.getOrDefault(key, Map.of());
        return own.values().stream().map(Route::connections).filter(Objects::nonNull).distinct().toList();
    }

    private void remove(Map<InetSocketAddress, Route> routes, InetSocketAddress address, Route route) {
        routes.remove(address, route);
        if (route.udp() != null) {
            udpListener.eventLoop().execute(route.udp()::closeFlows);
        }
    }

    /** Captured destinations, TCP and UDP. */
    int size() {
        return tcpRoutes.size() + udpRoutes.size();
    }

    /** Every open connection accepted for a captured frontend. */
    void connections(List<Channel> into) {
        connectionGroups().forEach(into::addAll);
    }

    /** The connection groups of every captured TCP destination, for the shutdown to close. */
    List<ChannelGroup> connectionGroups() {
        return tcpRoutes.values().stream().map(Route::connections).distinct().toList();
    }

    /** Closes both listeners and removes the counter; established connections continue. */
    @Override
    public void close() {
        registry.remove(unmatched);
        for (Channel channel : new Channel[] {tcpListener, udpListener}) {
            if (channel != null) {
                channel.close().awaitUninterruptibly();
            }
        }
    }
}
