package dev.sluice.benchmarks;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.state.TablePublisher;
import dev.sluice.proxy.listen.ListenerSet;
import dev.sluice.proxy.listen.ProxyOptions;
import dev.sluice.proxy.net.Transport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The relay itself on loopback: a {@link ListenerSet} with one standalone ({@code LISTEN})
 * service in front of in-process Netty backends, one proxy event loop thread as
 * {@code bin/sluice} runs by default. No HTTP, no other processes: what the forwarding code costs.
 *
 * <ul>
 *   <li>{@code bulk}: one connection, opened in setup, through the proxy to a sink backend that
 *       discards what it reads; one operation writes {@value #BULK_BYTES} bytes, so ops/s x 1 MiB
 *       is the relay's bytes/s.</li>
 *   <li>{@code connection}: a short connection per operation: connect through the proxy to an
 *       echo backend, write {@value #PING_BYTES} bytes, read them back, close. Ops/s is new
 *       connections/s; with {@code -prof gc}, {@code gc.alloc.rate.norm} is the bytes allocated
 *       per connection in the whole JVM (client, proxy and backend).</li>
 * </ul>
 *
 * <p>{@code path=direct} runs the same client against the backends without the proxy: the
 * ceiling, and the client's and backends' own allocation, so {@code proxy - direct} is what the
 * proxy allocates per connection or per MiB.
 *
 * <p>Goal: none of its own; it tells which data-path change moved {@code compare.sh}'s
 * figures. Allocation per connection should stay a small, fixed number of objects.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RelayBenchmark -prof gc}; a smoke run
 * adds {@code -f 1 -wi 1 -i 1 -w 1s -r 1s}; {@code -p transport=epoll,io_uring} compares
 * transports. The client, the proxy loop and the backend loop are three busy threads: on two
 * cores take the figures on an otherwise idle machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class RelayBenchmark {
    static final int BULK_BYTES = 1024 * 1024;
    static final int PING_BYTES = 64;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Through the proxy, or straight to the backends. */
    @Param({"proxy", "direct"})
    String path;

    /** The proxy's transport, as its {@code --transport} flag. */
    @Param({"auto"})
    String transport;

    private EventLoopGroup backendLoop;
    private ListenerSet listeners;
    private InetSocketAddress echoAddress;
    private InetSocketAddress sinkAddress;
    private SocketChannel bulkConnection;
    private final ByteBuffer bulk = ByteBuffer.allocateDirect(BULK_BYTES);
    private final ByteBuffer ping = ByteBuffer.allocateDirect(PING_BYTES);
    private final ByteBuffer pong = ByteBuffer.allocateDirect(PING_BYTES);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Transport backends = Transport.choose("epoll");
        backendLoop = backends.newGroup(1, "bench-backend");
        InetSocketAddress echo = serve(backends, new Echo());
        InetSocketAddress sink = serve(backends, new Sink());
        if (path.equals("direct")) {
            echoAddress = echo;
            sinkAddress = sink;
        } else {
            ProxyOptions options = ProxyOptions.DEFAULT.withTransport(transport);
            listeners = new ListenerSet(Transport.choose(transport), options, new SimpleMeterRegistry());
            TablePublisher publisher = new TablePublisher();
            publisher.addListener(listeners);
            echoAddress = new InetSocketAddress(LOOPBACK, freePort());
            sinkAddress = new InetSocketAddress(LOOPBACK, freePort());
            publisher.publish(BackendTable.of(1, List.of(entry("echo", echoAddress, echo), entry("sink", sinkAddress, sink))));
            if (!listeners.bindFailures().isEmpty()) {
                throw new IllegalStateException("proxy listeners: " + listeners.bindFailures() + " (expected: none)");
            }
        }
        bulkConnection = SocketChannel.open(sinkAddress);
        for (int i = 0; i < PING_BYTES; i++) {
            ping.put(i, (byte) i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        bulkConnection.close();
        if (listeners != null) {
            listeners.close();
        }
        backendLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Benchmark
    public int bulk() throws IOException {
        bulk.clear();
        int written = 0;
        while (bulk.hasRemaining()) {
            written += bulkConnection.write(bulk);
        }
        return written;
    }

    @Benchmark
    public int connection() throws IOException {
        try (SocketChannel connection = SocketChannel.open(echoAddress)) {
            ping.clear();
            while (ping.hasRemaining()) {
                connection.write(ping);
            }
            pong.clear();
            while (pong.hasRemaining()) {
                if (connection.read(pong) < 0) {
                    throw new EOFException("echo ended after " + pong.position() + " bytes (expected: " + PING_BYTES + ")");
                }
            }
            return pong.get(PING_BYTES - 1);
        }
    }

    private InetSocketAddress serve(Transport backends, ChannelHandler handler) {
        Channel server = new ServerBootstrap()
                .group(backendLoop)
                .channelFactory(() -> backends.newServerChannel(LOOPBACK))
                .childHandler(handler)
                .bind(LOOPBACK, 0).syncUninterruptibly().channel();
        return (InetSocketAddress) server.localAddress();
    }

    private static ServiceEntry entry(String name, InetSocketAddress listen, InetSocketAddress backend) {
        ServicePortKey key = new ServicePortKey(Fixtures.NAMESPACE, name, "", Protocol.TCP, IpFamily.IPv4);
        return ServiceEntry.standalone(key, List.of(new Frontend(FrontendType.LISTEN, LOOPBACK, listen.getPort())),
                List.of(new Backend(backend)), ServicePolicy.DEFAULT);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes back what it reads; closes when the client ends its output. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** Discards what it reads. */
    @ChannelHandler.Sharable
    private static final class Sink extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
