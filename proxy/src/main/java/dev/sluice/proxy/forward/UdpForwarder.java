package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ServicePolicy;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Forwards the datagrams arriving at one UDP listener to its service port's backends. Each
 * client address gets a flow: a datagram socket connected to one backend, on the listener's
 * event loop, whose replies are sent back from the listener's address. Flows end after the
 * flow timeout without traffic either way, or as soon as their backend leaves the entry, so
 * the client's next datagram picks a live backend.
 */
public final class UdpForwarder {
    final ServiceSlot slot;
    final FrontendType type;
    final ForwardSettings settings;
    private final Bootstrap flowTemplate;

    /**
     * @param slot     the service port
     * @param type     the frontend type of the listener, which selects the endpoint set
     * @param settings timeouts and transport
     */
    public UdpForwarder(ServiceSlot slot, FrontendType type, ForwardSettings settings) {
        this.slot = slot;
        this.type = type;
        this.settings = settings;
        this.flowTemplate = new Bootstrap().channel(settings.transport().datagramChannel());
    }

    /** A new handler for one listening datagram channel; not shareable. */
    public ChannelHandler frontendHandler() {
        return new UdpFrontendHandler(this);
    }

    /**
     * Closes the flows of a listener (a channel with {@link #frontendHandler()}) whose backend
     * is no longer among its service's endpoints. Call after every entry change; safe from any
     * thread.
     */
    public static void dropStaleFlows(Channel listener) {
        listener.eventLoop().execute(() -> {
            UdpFrontendHandler handler = listener.pipeline().get(UdpFrontendHandler.class);
            if (handler != null) {
                handler.dropStaleFlows();
            }
        });
    }

    boolean filtersSources() {
        return type == FrontendType.LOAD_BALANCER || type == FrontendType.LISTEN;
    }

    /**
     * The flows of one captured frontend: datagrams a shared transparent listener received for
     * {@code service} (their original destination) are handed to {@link CapturedDatagrams#receive};
     * replies leave from {@code service}. Confined to {@code listener}'s event loop.
     */
    public CapturedDatagrams captured(Channel listener, InetSocketAddress service) {
        return new UdpFrontendHandler(this, listener, service);
    }

    InetAddress backendSource(InetAddress client, ServicePolicy policy) {
        return SourceChoice.backendSource(settings, type, client, policy);
    }

    /** A flow's backend socket: bound to {@code source} (transparently) when not null. */
    ChannelFuture connectFlow(EventLoop loop, ChannelHandler handler, InetSocketAddress backend, InetAddress source) {
        Bootstrap bootstrap = flowTemplate.clone(loop).handler(handler);
        if (source == null) {
            return bootstrap.connect(backend);
        }
        return bootstrap.option(EpollChannelOption.IP_TRANSPARENT, true).connect(backend, new InetSocketAddress(source, 0));
    }

    /**
     * The socket a captured flow's replies leave from: bound to the service's address, which is
     * not local (hence transparent), and connected to the client. Several flows share the
     * address, hence {@code SO_REUSEADDR}. The kernel delivers the client's later datagrams to
     * this connected socket rather than to the shared listener, so it reads them too.
     */
    ChannelFuture connectReply(EventLoop loop, ChannelHandler handler, InetSocketAddress service, InetSocketAddress client) {
        return flowTemplate.clone(loop).handler(handler)
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .option(ChannelOption.SO_REUSEADDR, true)
                .connect(client, service);
    }
}
