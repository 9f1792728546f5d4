package dev.sluice.proxy.listen;

import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Backends for data-path tests, on one event loop group per test class: named TCP echo
 * servers and named UDP echo servers on loopback.
 */
final class TestBackends implements AutoCloseable {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    /**
     * A TCP server that greets each connection with {@code name\n}, echoes what it receives and,
     * when the client ends its output, answers {@code bye\n} and ends its own.
     */
    Server tcp(String name) {
        return tcp(name, 0);
    }

    Server tcp(String name, int port) {
        AtomicInteger accepted = new AtomicInteger();
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.incrementAndGet();
                        ch.pipeline().addLast(new Echo(name));
                    }
                })
                .bind(LOOPBACK, port).syncUninterruptibly().channel();
        return new Server(name, channel, accepted);
    }

    /** A UDP server answering each datagram with {@code name:payload}. */
    Server udp(String name) {
        AtomicInteger received = new AtomicInteger();
        Channel channel = new Bootstrap()
                .group(group)
                .channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        received.incrementAndGet();
                        ByteBuf reply = Unpooled.copiedBuffer(name + ":", StandardCharsets.UTF_8)
                                .writeBytes(packet.content());
                        ctx.writeAndFlush(new DatagramPacket(reply, packet.sender()));
                    }
                })
                .bind(LOOPBACK, 0).syncUninterruptibly().channel();
        return new Server(name, channel, received);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A running test server. */
    record Server(String name, Channel channel, AtomicInteger accepted) implements AutoCloseable {
        InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        Backend backend() {
            return new Backend(address());
        }

        /**
         * Closes the server; a TCP server refuses connections once this returns. NIO closes a
         * listening socket that is registered with a selector only when that selector next runs,
         * after the close future has completed: until then the kernel still completes handshakes,
         * and resets those connections when the socket finally goes. A proxy dialling in that
         * window is connected, then reset, where the test means the backend to refuse.
         */
        @Override
        public void close() {
            InetSocketAddress address = address();
            channel.close().syncUninterruptibly();
            if (channel instanceof ServerChannel) {
                await().atMost(Duration.ofSeconds(5)).until(() -> refuses(address));
            }
        }

        private static boolean refuses(InetSocketAddress address) {
            try (Socket probe = new Socket()) {
                probe.connect(address, 1_000);
                return false;
            } catch (ConnectException refused) {
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        private final String name;

        Echo(String name) {
            this.name = name;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(Unpooled.copiedBuffer(name + "\n", StandardCharsets.UTF_8));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("bye\n", StandardCharsets.UTF_8))
                        .addListener((ChannelFutureListener) f -> ((DuplexChannel) f.channel()).shutdownOutput());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
