package dev.sluice.proxy.listen;

import dev.sluice.discovery.model.Protocol;
import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;

/**
 * The sockets side of a handover for the {@link ListenerSet}: listening sockets a predecessor
 * handed over, kept until the first table says which it wants, and pausing or resuming reads on
 * the set's own listeners when this process hands them on. Guarded by the set's monitor.
 */
final class InheritedSockets {
    private final Logger log;
    private final Map<Listener.Address, Channel> waiting = new HashMap<>();

    InheritedSockets(Logger log) {
        this.log = log;
    }

    /** Unregistered channels, bound and listening: TCP server channels and UDP datagram channels. */
    void add(List<Channel> sockets) {
        for (Channel socket : sockets) {
            Protocol protocol = socket instanceof ServerChannel ? Protocol.TCP : Protocol.UDP;
            waiting.put(new Listener.Address(protocol, (InetSocketAddress) socket.localAddress()), socket);
        }
    }

    /** The inherited socket on an address, now the caller's to register; or null. */
    Channel take(Listener.Address address) {
        return waiting.remove(address);
    }

    /** Closes what no table claimed, as a table change closes a listener it no longer wants. */
    void closeRest() {
        if (waiting.isEmpty()) {
            return;
        }
        log.info("closing {} listener(s) handed over but not wanted by this table: {}", waiting.size(),
                new TreeSet<>(waiting.keySet().stream().map(Listener.Address::toString).toList()));
        waiting.values().forEach(socket -> socket.unsafe().closeForcibly());
        waiting.clear();
    }

    /** Waits until each channel's event loop has applied the change, so no accept races it. */
    static void setReading(List<Channel> channels, boolean reading) {
        List<Future<?>> applied = new ArrayList<>();
        for (Channel channel : channels) {
            applied.add(channel.eventLoop().submit(() -> channel.config().setAutoRead(reading)));
        }
        applied.forEach(Future::awaitUninterruptibly);
    }
}
