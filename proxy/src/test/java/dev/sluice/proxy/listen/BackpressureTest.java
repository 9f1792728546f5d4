package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.proxy.forward.TcpForwarder;
import dev.sluice.proxy.net.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The relay's backpressure: a slow client never makes the proxy buffer more than the write-buffer high water mark. */
class BackpressureTest {
    private static final long TOTAL = 100L * 1024 * 1024;

    /**
     * The transports to run on: NIO and epoll always, plus the one {@code -Dsluice.test.transport}
     * names. io_uring is opt-in (see {@link Transport}), so it runs here only when asked for.
     */
    static Stream<String> transports() {
        return Stream.concat(Stream.of("nio", "epoll"), Stream.ofNullable(System.getProperty("sluice.test.transport")))
                .distinct();
    }

    /**
     * Shows that while a backend streams 100 MB to a client that reads slowly, the bytes queued in
     * the proxy towards the client never exceed the high water mark, on each transport.
     */
    @ParameterizedTest
    @MethodSource("transports")
    void slowClientKeepsProxyBufferBounded(String transport) throws Exception {
        int port = freePort();
        try (ServerSocket backend = new ServerSocket(0, 1, TestBackends.LOOPBACK);
                Proxy proxy = new Proxy(Transport.choose(transport), ProxyOptions.DEFAULT)) {
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> sendAll(backend));
            proxy.publish(tcp("bulk", port, ServicePolicy.DEFAULT, new Backend(
                    new InetSocketAddress(TestBackends.LOOPBACK, backend.getLocalPort()))));

            long received = 0;
            long maxPending = 0;
            long samplesWithData = 0;
            try (Socket client = new Socket()) {
                client.setReceiveBufferSize(16 * 1024);
                client.setSoTimeout(10_000);
                client.connect(Proxy.loopback(port));
                InputStream in = client.getInputStream();
                byte[] buffer = new byte[16 * 1024];
                while (received < TOTAL) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    received += n;
                    // Sampling on the proxy's event loop after every read is what makes this client slow.
                    long pending = pendingTowardsClients(proxy.listeners.connections());
                    maxPending = Math.max(maxPending, pending);
                    samplesWithData += pending > 0 ? 1 : 0;
                }
            }
            sender.get(10, TimeUnit.SECONDS);
            assertThat(received).isEqualTo(TOTAL);
            assertThat(samplesWithData).as("the proxy did queue bytes while the client lagged").isPositive();
            // Each queued buffer costs a small fixed overhead on top of its bytes.
            assertThat(maxPending).isLessThanOrEqualTo(TcpForwarder.WATER_MARK.high() + 1024);
            assertThat(proxy.count("sluice.bytes", "bulk", "direction", "to_client")).isEqualTo((double) TOTAL);
        }
    }

    private static long pendingTowardsClients(List<Channel> connections) throws Exception {
        long max = 0;
        for (Channel channel : connections) {
            long pending = channel.eventLoop().submit(() -> {
                ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
                return buffer == null ? 0L : buffer.totalPendingWriteBytes();
            }).get(5, TimeUnit.SECONDS);
            max = Math.max(max, pending);
        }
        return max;
    }

    private static void sendAll(ServerSocket server) {
        try (Socket socket = server.accept(); OutputStream out = socket.getOutputStream()) {
            byte[] chunk = new byte[64 * 1024];
            for (long sent = 0; sent < TOTAL; sent += chunk.length) {
                out.write(chunk);
            }
            // Stay open until the proxy closes: a backend that closes early makes epoll and
            // io_uring drain the rest of the socket at once on RDHUP (bounded by the kernel's
            // receive buffer, not by the water mark), which is not what this test measures.
            socket.getInputStream().read();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
