package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.file.StaticConfig;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.SourceIp;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionResult;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service with a PROXY protocol version opens every backend connection with that header,
 * which a backend decodes with Netty's {@code HAProxyMessageDecoder}: the client's address and
 * port, and the frontend it connected to. Services without one send no header.
 */
class ProxyProtocolTest {
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    @AfterAll
    static void stopGroup() {
        GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A backend that decodes the header, records it, and greets with {@code header} or {@code plain}. */
    private static final class HeaderBackend implements AutoCloseable {
        final BlockingQueue<HAProxyMessage> headers = new LinkedBlockingQueue<>();
        final Channel channel;

        HeaderBackend() {
            channel = new ServerBootstrap().group(GROUP).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HeaderDetector(), new SimpleChannelInboundHandler<Object>() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.read();
                                }

                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                    if (msg instanceof HAProxyMessage header) {
                                        headers.add(header.retain());
                                        ctx.writeAndFlush(text("header\n"));
                                    } else if (msg instanceof ByteBuf) {
                                        ctx.writeAndFlush(text("plain\n"));
                                    }
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress(TestBackends.LOOPBACK, 0)).syncUninterruptibly().channel();
        }

        Backend backend() {
            return new Backend(new InetSocketAddress(TestBackends.LOOPBACK,
                    ((InetSocketAddress) channel.localAddress()).getPort()));
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            headers.forEach(HAProxyMessage::release);
        }
    }

    /** Puts Netty's decoder in front when the stream starts with a PROXY header; else steps aside. */
    private static final class HeaderDetector extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            ProtocolDetectionResult<HAProxyProtocolVersion> detected = HAProxyMessageDecoder.detectProtocol(in);
            if (detected.state() == ProtocolDetectionState.NEEDS_MORE_DATA) {
                ctx.read();
            } else if (detected.state() == ProtocolDetectionState.DETECTED) {
                ctx.pipeline().replace(this, null, new HAProxyMessageDecoder());
            } else {
                ctx.pipeline().remove(this);
            }
        }
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static ServicePolicy policy(ProxyProtocol version) {
        return new ServicePolicy(false, false, null, List.of(), 0, Balance.ROUND_ROBIN, 0, false, SourceIp.DEFAULT, version);
    }

    private static void checkHeader(ProxyProtocol version, HAProxyProtocolVersion expected) throws Exception {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); HeaderBackend backend = new HeaderBackend()) {
            proxy.publish(tcp("pp", port, policy(version), backend.backend()));
            try (Client client = Client.connect(port)) {
                client.write("hello\n");
                assertThat(client.readLine()).isEqualTo("header");
                HAProxyMessage header = backend.headers.poll(5, TimeUnit.SECONDS);
                assertThat(header).isNotNull();
                assertThat(header.protocolVersion()).isEqualTo(expected);
                assertThat(header.proxiedProtocol()).isEqualTo(HAProxyProxiedProtocol.TCP4);
                assertThat(header.sourceAddress()).isEqualTo("127.0.0.1");
                assertThat(header.sourcePort()).isEqualTo(client.socket.getLocalPort());
                assertThat(header.destinationAddress()).isEqualTo("127.0.0.1");
                assertThat(header.destinationPort()).isEqualTo(port);
            }
        }
    }

    /** Shows that a v1 service's backend reads a text header naming the client and the frontend. */
    @Test
    void version1HeaderNamesTheClientAndTheFrontend() throws Exception {
        checkHeader(ProxyProtocol.V1, HAProxyProtocolVersion.V1);
    }

    /** Shows that a v2 service's backend reads a binary header naming the client and the frontend. */
    @Test
    void version2HeaderNamesTheClientAndTheFrontend() throws Exception {
        checkHeader(ProxyProtocol.V2, HAProxyProtocolVersion.V2);
    }

    /** Shows that the standalone key {@code proxyProtocol: v2} of a config file reaches the backend as a v2 header. */
    @Test
    void theStandaloneKeyTurnsTheHeaderOn(@TempDir Path dir) throws Exception {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); HeaderBackend backend = new HeaderBackend()) {
            Path file = Files.writeString(dir.resolve("sluice.yaml"), """
                    services:
                      - name: pp
                        listen: "127.0.0.1:%d"
                        backends: ["127.0.0.1:%d"]
                        proxyProtocol: v2
                    """.formatted(port, backend.backend().address().getPort()));
            proxy.publish(StaticConfig.load(file).services().toArray(ServiceEntry[]::new));
            try (Client client = Client.connect(port)) {
                client.write("hello\n");
                assertThat(client.readLine()).isEqualTo("header");
                HAProxyMessage header = backend.headers.poll(5, TimeUnit.SECONDS);
                assertThat(header).isNotNull();
                assertThat(header.protocolVersion()).isEqualTo(HAProxyProtocolVersion.V2);
                assertThat(header.sourcePort()).isEqualTo(client.socket.getLocalPort());
            }
        }
    }

    /** Shows that a service without the option sends the client's bytes and nothing before them. */
    @Test
    void withoutTheOptionNoHeaderIsSent() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); HeaderBackend backend = new HeaderBackend()) {
            proxy.publish(tcp("plain", port, ServicePolicy.DEFAULT, backend.backend()));
            try (Client client = Client.connect(port)) {
                client.write("hello, and no header before it\n");
                assertThat(client.readLine()).isEqualTo("plain");
                assertThat(backend.headers).isEmpty();
            }
        }
    }
}
