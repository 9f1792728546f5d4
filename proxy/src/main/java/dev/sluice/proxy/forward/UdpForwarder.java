package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.FrontendType;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoop;

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

    Bootstrap flowBootstrap(EventLoop loop, ChannelHandler handler) {
        return flowTemplate.clone(loop).handler(handler);
    }
}
