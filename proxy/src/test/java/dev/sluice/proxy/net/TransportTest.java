package dev.sluice.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Choosing a transport by name. */
class TransportTest {

    /** Shows that auto picks epoll, else NIO, and never io_uring, even where the kernel offers it. */
    @Test
    void autoPrefersEpollAndLeavesIoUringOptIn() {
        assertThat(Transport.choose("auto").name()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
    }

    /** Shows that io_uring is used when named, where the kernel offers it, and is a clear error where it does not. */
    @Test
    void ioUringOnlyWhenNamed() {
        if (IoUring.isAvailable()) {
            assertThat(Transport.choose("io_uring").name()).isEqualTo("io_uring");
        } else {
            assertThatThrownBy(() -> Transport.choose("io_uring"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("transport: io_uring (expected: a transport this kernel offers;");
        }
    }

    /** Shows that NIO is always available and its group runs tasks on named threads. */
    @Test
    void nioGroupRuns() throws Exception {
        Transport nio = Transport.choose("NIO");
        SocketChannel channel = nio.newSocketChannel(InetAddress.getLoopbackAddress());
        channel.unsafe().closeForcibly();
        assertThat(channel).isInstanceOf(NioSocketChannel.class);
        EventLoopGroup group = nio.newGroup(1, "transport-test");
        try {
            assertThat(group.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
                    .startsWith("transport-test");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Shows that every transport here opens backend sockets, IPv4 and IPv6, with Nagle's
     * algorithm off: the forwarder relies on that default instead of setting it again.
     */
    @Test
    void newSocketsHaveNoDelayOnEveryTransport() throws IOException {
        List<String> names = new ArrayList<>(List.of("nio"));
        if (Epoll.isAvailable()) {
            names.add("epoll");
        }
        if (IoUring.isAvailable()) {
            names.add("io_uring");
        }
        for (String name : names) {
            Transport transport = Transport.choose(name);
            for (InetAddress address : List.of(InetAddress.getLoopbackAddress(), InetAddress.getByName("::1"))) {
                SocketChannel channel = transport.newSocketChannel(address);
                try {
                    assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).as(name + " " + address).isTrue();
                } finally {
                    channel.unsafe().closeForcibly();
                }
            }
        }
    }

    /** Shows that io_uring event loops are never stopped by their owner (the shutdown defect), and the others are. */
    @Test
    void onlyIoUringLoopsAreLeftRunning() {
        assertThat(Transport.choose("nio").stopsCleanly()).isTrue();
        if (Epoll.isAvailable()) {
            assertThat(Transport.choose("epoll").stopsCleanly()).isTrue();
        }
        if (IoUring.isAvailable()) {
            assertThat(Transport.choose("io_uring").stopsCleanly()).isFalse();
        }
    }

    /** Shows that an unknown name fails with a message naming it and the choices. */
    @Test
    void unknownNameIsRejected() {
        assertThatThrownBy(() -> Transport.choose("kqueue"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("transport: kqueue (expected: auto, io_uring, epoll or nio)");
    }
}
