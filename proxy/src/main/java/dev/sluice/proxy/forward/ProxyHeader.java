package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.ProxyProtocol;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
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

    static HAProxyMessage of(ProxyProtocol version, Channel client) {
        InetSocketAddress source = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress destination = (InetSocketAddress) client.localAddress();
        HAProxyProxiedProtocol protocol = source.getAddress() instanceof Inet4Address
                ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
        return new HAProxyMessage(version == ProxyProtocol.V1 ? HAProxyProtocolVersion.V1 : HAProxyProtocolVersion.V2,
                HAProxyCommand.PROXY, protocol, source.getAddress().getHostAddress(),
                destination.getAddress().getHostAddress(), source.getPort(), destination.getPort());
    }
}
