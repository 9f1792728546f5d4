package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.net.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Forwards the TCP connections accepted by one listener (one frontend address of one service
 * port) to that port's backends. The listener installs {@link #childHandler()} on its server
 * channel after {@link #configure(ServerBootstrap)}; every accepted connection then reads the
 * slot's routes once, is admitted or reset, and is relayed on its own event loop.
 */
public final class TcpForwarder {
    /**
     * Pending bytes per direction stay under the high mark: one read buffer in flight at most.
     * 256 KiB rather than 64: on a bulk stream the larger reads cut the proxy's CPU per GiB by
     * 12-32% in quiet A/B runs (benchmarks/README.md, Experiments); a connection that carries
     * small messages never grows its buffer past what its reads fill.
     */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);

    /** One buffer of at most the high water mark per read, so a read never outruns a write. */
    private static final RecvByteBufAllocator READS =
            new AdaptiveRecvByteBufAllocator(512, 16 * 1024, WATER_MARK.high()).maxMessagesPerRead(1);

    final ServiceSlot slot;
    final FrontendType type;
    final ForwardSettings settings;
    final ConnectionGate gate;
    private final ChannelGroup connections;
    private final Transport transport;
    private final int connectTimeoutMillis;
    /** {@code settings.idleTimeout()} in nanoseconds, read by every accepted connection. */
    private final long idleNanos;

    /**
     * @param slot        the service port
     * @param type        the frontend type of the listener, which selects the endpoint set
     * @param settings    timeouts and transport
     * @param gate        the proxy-wide connection limit
     * @param connections every accepted connection is added here (removed when it closes), so
     *                    the owner can drain them
     */
    public TcpForwarder(ServiceSlot slot, FrontendType type, ForwardSettings settings, ConnectionGate gate,
            ChannelGroup connections) {
        this.slot = slot;
        this.type = type;
        this.settings = settings;
        this.gate = gate;
        this.connections = connections;
        this.transport = settings.transport();
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis());
        this.idleNanos = settings.idleTimeout().toNanos();
    }

    /**
     * Sets the options every accepted connection needs. {@code TCP_NODELAY} is not among them:
     * every transport's socket configuration already turns it on when the channel is created,
     * and setting it again costs a system call per socket.
     */
    public static ServerBootstrap configure(ServerBootstrap bootstrap) {
        return bootstrap
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS);
    }

    /** The handler for accepted channels. */
    public ChannelHandler childHandler() {
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                adopt(channel);
            }
        };
    }

    /**
     * Forwards one accepted connection: what {@link #childHandler()} does for a listener of its
     * own, for a connection that a shared (transparent) listener accepted for this frontend.
     * Call from the channel's event loop before it is active, or from its initializer.
     */
    public void adopt(Channel channel) {
        connections.add(channel);
        if (idleNanos > 0) {
            // observeOutput: a slow reader still draining our writes is not idle.
            channel.pipeline().addLast(new IdleStateHandler(true, 0, 0, idleNanos, TimeUnit.NANOSECONDS));
        }
        channel.pipeline().addLast(new ClientHandler(this));
    }

    /**
     * The address a backend connection for this client is bound to, or null for the node's own.
     * The client's address is used where {@code --source-ip client} (or the service's own
     * {@code sourceIp}) asks for it and the reply is sure to come back through this node:
     * internal traffic, and external traffic of {@code externalTrafficPolicy: Local} services.
     */
    InetAddress backendSource(InetAddress client, ServicePolicy policy) {
        return SourceChoice.backendSource(settings, type, client, policy);
    }

    /** Whether source ranges apply to this frontend type: LoadBalancer IPs and standalone listeners, never NodePorts. */
    boolean filtersSources() {
        return type == FrontendType.LOAD_BALANCER || type == FrontendType.LISTEN;
    }

    /**
     * Closes an accepted connection (a channel of the group given to the constructor) if the
     * backend it is relayed to has left its service: the end of a drain grace period. Safe to
     * call from any thread.
     */
    public static void closeIfBackendRetired(Channel connection) {
        connection.eventLoop().execute(() -> {
            ClientHandler handler = connection.pipeline().get(ClientHandler.class);
            if (handler != null && handler.connectedBackend() != null && handler.connectedBackend().retired()) {
                handler.closeBoth();
            }
        });
    }

    /**
     * Takes an accepted connection (a channel of the group given to the constructor) off its
     * event loop for a handover once nothing is in flight; the future's value is null when it
     * cannot move now (still dialling, half-closed or closing), and it then stays here.
     */
    public static Future<HandedConnection> detach(Channel connection) {
        Promise<HandedConnection> result = connection.eventLoop().newPromise();
        connection.eventLoop().execute(() -> {
            ClientHandler handler = connection.pipeline().get(ClientHandler.class);
            if (handler == null) {
                result.setSuccess(null);
            } else {
                handler.detach(result, 0);
            }
        });
        return result;
    }

    /**
     * Relays a connection a predecessor handed over: unregistered client and backend channels,
     * connected, with nothing in flight. Returns false, touching neither, when this service
     * port no longer has that backend or is at its connection limit; the caller then closes its
     * copies and the predecessor keeps the connection.
     */
    public boolean resume(EventLoop loop, SocketChannel client, SocketChannel backend, InetSocketAddress backendAddress) {
        if (!gate.tryAcquire()) {
            return false;
        }
        if (!slot.tryAcquire(slot.routes().entry().policy().maxConnections())) {
            gate.release();
            return false;
        }
        BackendState target = slot.routes().poolFor(type).adopt(backendAddress);
        if (target == null) {
            slot.release();
            gate.release();
            return false;
        }
        for (SocketChannel channel : new SocketChannel[] {client, backend}) {
            SocketChannelConfig config = channel.config();
            config.setAutoRead(false);
            config.setAllowHalfClosure(true);
            config.setWriteBufferWaterMark(WATER_MARK);
            config.setRecvByteBufAllocator(READS);
        }
        ClientHandler handler = new ClientHandler(this, backend, target);
        backend.pipeline().addLast(new BackendHandler(handler));
        long idleNanos = settings.idleTimeout().toNanos();
        if (idleNanos > 0) {
            client.pipeline().addLast(new IdleStateHandler(true, 0, 0, idleNanos, TimeUnit.NANOSECONDS));
        }
        client.pipeline().addLast(handler);
        connections.add(client);
        // The backend first: the client's activation asks both for reads.
        loop.register(backend);
        loop.register(client);
        return true;
    }

    /**
     * Opens a backend channel on {@code loop} (the caller's, so the call registers it at once)
     * and connects it. This is what a {@code Bootstrap} does, without the copy of its option map,
     * the monitor around it and the resolver lookup it costs per connection: the address is
     * already resolved.
     *
     * @throws io.netty.channel.ChannelException when no socket could be opened (out of file descriptors)
     */
    ChannelFuture connectBackend(EventLoop loop, ChannelHandler handler, InetSocketAddress address, InetAddress source,
            ProxyProtocol proxyProtocol) {
        SocketChannel channel = transport.newSocketChannel(address.getAddress());
        InetSocketAddress local = source == null ? null : new InetSocketAddress(source, 0);
        try {
            SocketChannelConfig config = channel.config();
            if (local != null && !config.setOption(EpollChannelOption.IP_TRANSPARENT, true)) {
                throw new ChannelException("IP_TRANSPARENT: not supported by " + channel.getClass().getSimpleName()
                        + " (expected: the epoll transport)");
            }
            if (proxyProtocol != ProxyProtocol.NONE) {
                channel.pipeline().addLast(HAProxyMessageEncoder.INSTANCE);
            }
            config.setConnectTimeoutMillis(connectTimeoutMillis);
            config.setAutoRead(false);
            config.setAllowHalfClosure(true);
            config.setWriteBufferWaterMark(WATER_MARK);
            config.setRecvByteBufAllocator(READS);
            channel.pipeline().addLast(handler);
        } catch (RuntimeException e) {
            channel.unsafe().closeForcibly();
            throw e;
        }
        ChannelFuture registered = loop.register(channel);
        if (registered.isDone()) {
            return registered.isSuccess() ? channel.connect(address, local) : registered;
        }
        ChannelPromise connected = channel.newPromise();
        registered.addListener((ChannelFuture done) -> {
            if (done.isSuccess()) {
                channel.connect(address, local, connected);
            } else {
                connected.setFailure(done.cause());
            }
        });
        return connected;
    }
}
