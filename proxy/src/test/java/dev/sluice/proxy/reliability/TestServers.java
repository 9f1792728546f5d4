package dev.sluice.proxy.reliability;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backends for the reliability tests on one small event loop group: TCP servers on loopback
 * (named, silent or echo) that can be killed (listener closed) and brought back on the same
 * address.
 */
final class TestServers implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    /** A server that writes {@code name} to each connection and closes it. */
    Server named(String name) {
        return named(name, "127.0.0.1", 0);
    }

    /** A named server on a given loopback address and port (0 for any). */
    Server named(String name, String ip, int port) {
        return new Server(name, address(ip, port), Kind.NAMED).start();
    }

    /** A server that accepts connections and never sends a byte nor closes them. */
    Server silent(String name) {
        return new Server(name, address("127.0.0.1", 0), Kind.SILENT).start();
    }

    /** A server that sends back whatever it receives. */
    Server echo(String name) {
        return new Server(name, address("127.0.0.1", 0), Kind.ECHO).start();
    }

    private enum Kind { NAMED, SILENT, ECHO }

    private static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("ip: " + ip + " (expected: a literal address)", e);
        }
    }

    /** One backend: its listener may be closed and re-opened on the same address. */
    final class Server {
        private final String name;
        private final Kind kind;
        private final AtomicInteger accepted = new AtomicInteger();
        /** {@link System#nanoTime()} of the first accept since the latest start, 0 before it. */
        private final AtomicLong firstAccept = new AtomicLong();
        private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        private InetSocketAddress address;
        private volatile Channel listener;

        private Server(String name, InetSocketAddress address, Kind kind) {
            this.name = name;
            this.address = address;
            this.kind = kind;
        }

        /** Listens again on the same address; the first call picks the port when it was 0. */
        synchronized Server start() {
            byte[] greeting = name.getBytes(StandardCharsets.UTF_8);
            firstAccept.set(0);
            listener = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.incrementAndGet();
                            firstAccept.compareAndSet(0, System.nanoTime());
                            connections.add(ch);
                            ch.pipeline().addLast(switch (kind) {
                                case NAMED -> new Greet(greeting);
                                case SILENT -> new Discard();
                                case ECHO -> new Echo();
                            });
                        }
                    })
                    .bind(address).syncUninterruptibly().channel();
            address = (InetSocketAddress) listener.localAddress();
            return this;
        }

        /** Closes the listener, as a crashed backend would: later connects are refused. */
        synchronized void kill() {
            listener.close().syncUninterruptibly();
        }

        String name() {
            return name;
        }

        InetSocketAddress address() {
            return address;
        }

        /** {@code ip:port}, as a config file writes a backend. */
        String hostPort() {
            return address.getAddress().getHostAddress() + ":" + address.getPort();
        }

        int accepted() {
            return accepted.get();
        }

        /** {@link System#nanoTime()} of the first connection accepted since the latest start, 0 if none. */
        long firstAcceptNanos() {
            return firstAccept.get();
        }

        /** Accepted connections still open on the server side. */
        int open() {
            return connections.size();
        }
    }

    /** Writes the name, then closes: one short connection per answer. */
    private static final class Greet extends Discard {
        private final byte[] greeting;

        Greet(byte[] greeting) {
            this.greeting = greeting;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(greeting)).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Reads and drops everything, answers nothing. */
    private static class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Writes back what it reads. */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
