package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.FrontendType;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * Forwards the TCP connections accepted by one listener (one frontend address of one service
 * port) to that port's backends. The listener installs {@link #childHandler()} on its server
 * channel after {@link #configure(ServerBootstrap)}; every accepted connection then reads the
 * slot's routes once, is admitted or reset, and is relayed on its own event loop.
 */
public final class TcpForwarder {
    /** Pending bytes per direction stay under the high mark: one read buffer in flight at most. */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /** One buffer of at most the high water mark per read, so a read never outruns a write. */
    private static final RecvByteBufAllocator READS =
            new AdaptiveRecvByteBufAllocator(512, 16 * 1024, WATER_MARK.high()).maxMessagesPerRead(1);

    final ServiceSlot slot;
    final FrontendType type;
    final ForwardSettings settings;
    final ConnectionGate gate;
    private final ChannelGroup connections;
    private final Bootstrap backendTemplate;

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
        this.backendTemplate = new Bootstrap()
                .channel(settings.transport().socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        settings.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.RCVBUF_ALLOCATOR, READS);
    }

    /** Sets the options every accepted connection needs. */
    public static ServerBootstrap configure(ServerBootstrap bootstrap) {
        return bootstrap
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS);
    }

    /** The handler for accepted channels. */
    public ChannelHandler childHandler() {
        long idleNanos = settings.idleTimeout().toNanos();
        return new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                connections.add(channel);
                if (idleNanos > 0) {
                    // observeOutput: a slow reader still draining our writes is not idle.
                    channel.pipeline().addLast(new IdleStateHandler(true, 0, 0, idleNanos, TimeUnit.NANOSECONDS));
                }
                channel.pipeline().addLast(new ClientHandler(TcpForwarder.this));
            }
        };
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

    Bootstrap backendBootstrap(EventLoop loop, ChannelHandler handler) {
        return backendTemplate.clone(loop).handler(handler);
    }
}
