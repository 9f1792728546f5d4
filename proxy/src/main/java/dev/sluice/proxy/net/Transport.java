package dev.sluice.proxy.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The I/O transport of the data path: which event loops and which channel classes. Every
 * channel of one proxied connection uses the same transport, so a backend connection can be
 * registered on the event loop of the client connection that caused it.
 *
 * <p>{@code auto} picks epoll when the kernel offers it, else NIO. io_uring is used only when
 * named: with Netty 4.2.18, shutting io_uring event loops down can write into memory already
 * freed (it crashed a test JVM once, and a stress test of starting and stopping io_uring groups
 * reproduced it without our code), so a group on it is never stopped ({@link #stopsCleanly()}),
 * and a transport with a known native defect is not the default. Naming a native transport that
 * is not available is an error rather than a silent fallback.
 *
 * <p>Channels for an IPv4 address are IPv4 sockets where the transport lets us choose (epoll,
 * NIO): a dual-stack socket costs an extra {@code IPV6_V6ONLY} system call per backend
 * connection and carries every IPv4 address as a mapped IPv6 one.
 */
public final class Transport {
    private final String name;
    private final Supplier<IoHandlerFactory> handlers;
    private final Function<SocketProtocolFamily, ServerSocketChannel> serverChannels;
    private final Function<SocketProtocolFamily, SocketChannel> socketChannels;
    private final Class<? extends DatagramChannel> datagramChannel;
    private final boolean stopsCleanly;

    private Transport(String name, Supplier<IoHandlerFactory> handlers,
            Function<SocketProtocolFamily, ServerSocketChannel> serverChannels,
            Function<SocketProtocolFamily, SocketChannel> socketChannels,
            Class<? extends DatagramChannel> datagramChannel, boolean stopsCleanly) {
        this.name = name;
        this.handlers = handlers;
        this.serverChannels = serverChannels;
        this.socketChannels = socketChannels;
        this.datagramChannel = datagramChannel;
        this.stopsCleanly = stopsCleanly;
    }

    /**
     * The transport for a name: {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}.
     *
     * @throws IllegalArgumentException when the name is unknown or names an unavailable
     *                                  native transport
     */
    public static Transport choose(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        switch (wanted) {
            case "auto":
                return Epoll.isAvailable() ? epoll() : nio();
            case "io_uring":
            case "io-uring":
                if (!IoUring.isAvailable()) {
                    throw unavailable(name, IoUring.unavailabilityCause());
                }
                return ioUring();
            case "epoll":
                if (!Epoll.isAvailable()) {
                    throw unavailable(name, Epoll.unavailabilityCause());
                }
                return epoll();
            case "nio":
                return nio();
            default:
                throw new IllegalArgumentException("transport: " + name + " (expected: auto, io_uring, epoll or nio)");
        }
    }

    private static Transport ioUring() {
        // Netty's io_uring channels always open dual-stack sockets.
        return new Transport("io_uring", IoUringIoHandler::newFactory, family -> new IoUringServerSocketChannel(),
                family -> new IoUringSocketChannel(), IoUringDatagramChannel.class, false);
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler::newFactory, EpollServerSocketChannel::new,
                EpollSocketChannel::new, EpollDatagramChannel.class, true);
    }

    private static Transport nio() {
        SelectorProvider provider = SelectorProvider.provider();
        return new Transport("nio", NioIoHandler::newFactory, family -> new NioServerSocketChannel(provider, family),
                family -> new NioSocketChannel(provider, family), NioDatagramChannel.class, true);
    }

    private static IllegalArgumentException unavailable(String name, Throwable cause) {
        String why = cause == null ? "unknown reason" : cause.toString();
        return new IllegalArgumentException("transport: " + name + " (expected: a transport this kernel offers; "
                + name + " is unavailable: " + why + ")", cause);
    }

    /** A new group of event loops of this transport; its threads are daemon threads. */
    public EventLoopGroup newGroup(int threads, String threadNamePrefix) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: 1 or more)");
        }
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadNamePrefix, true),
                handlers.get());
    }

    /** A new, unregistered listening TCP channel that can bind {@code address}. */
    public ServerSocketChannel newServerChannel(InetAddress address) {
        return serverChannels.apply(familyOf(address));
    }

    /** A new, unregistered TCP channel that can connect to {@code address}: a backend connection. */
    public SocketChannel newSocketChannel(InetAddress address) {
        return socketChannels.apply(familyOf(address));
    }

    private static SocketProtocolFamily familyOf(InetAddress address) {
        return address instanceof Inet4Address ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
    }

    /**
     * Whether event loops of this transport may be shut down while the process goes on. Not for
     * io_uring: Netty 4.2.18 can write into memory it already freed while an io_uring loop shuts
     * down (reproduced without our code: two JVMs each starting and stopping io_uring groups in a
     * loop aborted in glibc's heap checks 4 times in 10 runs; epoll, 0 in 9). The owner of such a
     * group closes its channels and leaves the daemon loop threads to end with the process.
     */
    public boolean stopsCleanly() {
        return stopsCleanly;
    }

    /** The UDP channel class, for frontends and backend flows alike. */
    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }

    /** {@code io_uring}, {@code epoll} or {@code nio}: what {@code auto} resolved to. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
