package dev.sluice.proxy.listen;

import dev.sluice.proxy.forward.HandedConnection;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/** An established connection on its way off its event loop: the listener that accepted it, and the detach under way. */
public record MovingConnection(InetSocketAddress listener, Future<HandedConnection> connection) {
}
