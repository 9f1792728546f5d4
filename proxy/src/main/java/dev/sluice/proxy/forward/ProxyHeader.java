package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ProxyProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The PROXY protocol header that opens a backend connection of a service that asked for one
 * ({@code sluice.dev/proxy-protocol: v1|v2}): the client's address and port, and the address
 * and port it connected to (the service's frontend). Netty's {@code HAProxyMessageEncoder},
 * placed on the backend channel, writes it in the chosen version before any client byte.
 */
final class ProxyHeader {
    private ProxyHeader() {
    }

    /**
     * Writes the header to {@code backend}, just connected, then takes the encoder out of its
     * pipeline: on the channel's event loop the header is encoded within the write, and the
     * client's bytes that follow need not pass the encoder's type check on every write.
     */
    static void write(ProxyProtocol version, Channel client, Channel backend) {
        backend.writeAndFlush(of(version, client), backend.voidPromise());
        ChannelPipeline pipeline = backend.pipeline();
        if (pipeline.context(HAProxyMessageEncoder.INSTANCE) != null) {
            pipeline.remove(HAProxyMessageEncoder.INSTANCE);
        }
    }

    private static HAProxyMessage of(ProxyProtocol version, Channel client) {
        InetSocketAddress source = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress destination = (InetSocketAddress) client.localAddress();
        HAProxyProxiedProtocol protocol = source.getAddress() instanceof Inet4Address
                ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
        return new HAProxyMessage(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, protocol, source.getAddress().getHostAddress(),
                destination.getAddress().getHostAddress(), source.getPort(), destination.getPort());
    }
}
