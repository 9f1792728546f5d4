package dev.sluice.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Choosing a transport by name. */
class TransportTest {

    /** Shows that auto prefers io_uring, then epoll, then NIO, as the kernel allows. */
    @Test
    void autoPrefersNativeTransports() {
        String expected = IoUring.isAvailable() ? "io_uring" : Epoll.isAvailable() ? "epoll" : "nio";
        assertThat(Transport.choose("auto").name()).isEqualTo(expected);
    }

    /** Shows that NIO is always available and its group runs tasks on named threads. */
    @Test
    void nioGroupRuns() throws Exception {
        Transport nio = Transport.choose("NIO");
        assertThat(nio.socketChannel()).isEqualTo(NioSocketChannel.class);
        EventLoopGroup group = nio.newGroup(1, "transport-test");
        try {
            assertThat(group.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
                    .startsWith("transport-test");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
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
