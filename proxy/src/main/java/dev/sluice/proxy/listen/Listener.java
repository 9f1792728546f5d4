package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.forward.TcpForwarder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.net.InetSocketAddress;

/**
 * One bound (or binding) server channel: a TCP or UDP socket on one address, owned by one
 * service port. Guarded by the {@link ListenerSet}'s monitor, apart from {@link #connections},
 * which is concurrent.
 */
final class Listener {
    final ServicePortKey key;
    final Frontend frontend;
    final Address address;
    /** The TCP connections this listener accepted and that are still open. */
    final ChannelGroup connections;
    ChannelFuture bind;
    /** The TCP listener's forwarder, which also resumes connections a predecessor hands over; null for UDP. */
    TcpForwarder forwarder;
    /** Registered from a socket a predecessor handed over rather than bound here. */
    boolean adopted;

    Listener(ServicePortKey key, Frontend frontend, Address address) {
        this.key = key;
        this.frontend = frontend;
        this.address = address;
        this.connections = new DefaultChannelGroup(key + " " + address, ImmediateEventExecutor.INSTANCE);
    }

    Channel channel() {
        return bind.channel();
    }

    /** A listening socket address: the same port may be bound once for TCP and once for UDP. */
    record Address(Protocol protocol, InetSocketAddress socket) {
        @Override
        public String toString() {
            return protocol + " " + Addresses.format(socket);
        }
    }

    /** A service port that wants to listen on an address through one of its frontends. */
    record Claim(ServicePortKey key, Frontend frontend, Address address) {
    }
}
