package dev.sluice.proxy.observe;

import dev.sluice.discovery.model.Addresses;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** Binds small HTTP/1.1 servers on the admin event loop. */
final class AdminHttp {
    /** Probes and scrapes send no body; anything larger is refused by the aggregator. */
    static final int MAX_REQUEST_BYTES = 8192;
    /** An idle keep-alive connection is closed after this long, so stuck clients cannot pile up. */
    private static final int IDLE_SECONDS = 60;
    private static final long BIND_TIMEOUT_SECONDS = 10;

    private AdminHttp() {
    }

    /** A listening server and the connections it accepted. */
    static final class Server {
        private final Channel listener;
        private final ChannelGroup connections;

        private Server(Channel listener, ChannelGroup connections) {
            this.listener = listener;
            this.connections = connections;
        }

        InetSocketAddress localAddress() {
            return (InetSocketAddress) listener.localAddress();
        }

        /**
         * Stops listening and closes every accepted connection too, as Go's {@code Server.Close}
         * does: a client holding a keep-alive connection must not keep getting answers from a
         * port that was closed.
         */
        void close() {
            listener.close().syncUninterruptibly();
            connections.close().awaitUninterruptibly();
        }
    }

    /**
     * Binds {@code address} and serves every connection with {@code handler}, which must be
     * sharable. Blocks until bound, so it must not be called on the admin thread itself.
     */
    static Server bind(AdminEventLoop loop, InetSocketAddress address, ChannelHandler handler) throws IOException {
        ChannelGroup connections = new DefaultChannelGroup(loop.group().next());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop.group())
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(
                                new ReadTimeoutHandler(IDLE_SECONDS),
                                new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                handler);
                    }
                });
        ChannelFuture bound = bootstrap.bind(address);
        if (!bound.awaitUninterruptibly(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            bound.cancel(false);
            throw new IOException("bind " + describe(address) + ": no answer within " + BIND_TIMEOUT_SECONDS + "s");
        }
        if (!bound.isSuccess()) {
            throw new IOException("bind " + describe(address) + ": " + bound.cause().getMessage(), bound.cause());
        }
        return new Server(bound.channel(), connections);
    }

    /** {@code ip:port} without any name look-up. */
    static String describe(InetSocketAddress address) {
        return Addresses.format(address);
    }
}
