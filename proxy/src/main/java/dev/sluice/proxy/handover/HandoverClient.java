package dev.sluice.proxy.handover;

import dev.sluice.discovery.model.Protocol;
import dev.sluice.proxy.listen.AffinityPin;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next process's side of a handover ({@link Wire} has the protocol): finds a predecessor at
 * a path, reserves its handover ({@link #find}), and, once this process has its first table,
 * takes the predecessor's listening sockets ({@link #take}) and reports that it serves them
 * ({@link #serving}). Blocking; called on the start-up thread.
 */
public final class HandoverClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverClient.class);
    private static final Object CLOSED = new Object();

    private final Path path;
    private final Duration timeout;
    private final HandoverMetrics metrics;
    private final EventLoopGroup group = Wire.newGroup();
    private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
    private final BlockingQueue<Object> descriptors = new LinkedBlockingQueue<>();
    private Channel control;
    private Channel fds;
    private long predecessorPid;
    /** Descriptors received so far, acknowledged in steps so the predecessor sends more. */
    private int received;

    private HandoverClient(Path path, Duration timeout, HandoverMetrics metrics) {
        this.path = path;
        this.timeout = timeout;
        this.metrics = metrics;
    }

    /**
     * Connects to a predecessor at {@code path} and reserves its handover. Returns null when
     * none runs there: no file, or a file nobody listens on (left by a process that ended; it
     * is removed).
     *
     * @throws IOException when the predecessor refuses (another successor is being served, or
     *                     another uid) or does not answer within {@code timeout}
     */
    public static HandoverClient find(Path path, Duration timeout, HandoverMetrics metrics) throws IOException {
        if (!Files.exists(path)) {
            return null;
        }
        HandoverClient client = new HandoverClient(path, timeout, metrics);
        try {
            client.control = client.connect(false);
        } catch (IOException e) {
            client.close();
            if (String.valueOf(e.getMessage()).contains("Connection refused")) {
                log.info("handover-socket: {}: no process listens there; starting without a predecessor", path);
                Files.deleteIfExists(path);
                return null;
            }
            throw new IOException("handover-socket: " + path + ": " + e.getMessage()
                    + " (expected: a Unix socket served by a running sluice of this uid)", e);
        }
        try {
            client.control.writeAndFlush(Wire.HELLO + " " + Wire.ownPid() + "\n");
            String answer = client.nextLine("HELLO");
            if (!answer.startsWith(Wire.WAIT + " ")) {
                throw new IOException("handover-socket: " + path + ": the running process answered \"" + answer
                        + "\" (expected: WAIT)");
            }
            client.predecessorPid = Long.parseLong(answer.substring(Wire.WAIT.length() + 1).strip());
            log.info("handover-socket: {}: predecessor pid {} will hand over once this process has its first table",
                    path, client.predecessorPid);
            return client;
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The predecessor's process id. */
    public long predecessorPid() {
        return predecessorPid;
    }

    /**
     * Takes every listening socket: the predecessor stops reading them, sends them, and commits.
     * Returns them as unregistered epoll channels (TCP server and UDP datagram channels), bound
     * and listening, each checked against the address offered for it.
     *
     * @throws IOException when the predecessor aborts, goes away or breaks the protocol; every
     *                     socket received so far is closed and the predecessor keeps serving
     */
    public List<Channel> take() throws IOException {
        List<Channel> taken = new ArrayList<>();
        try {
            control.writeAndFlush(Wire.TAKE + "\n");
            String header = nextLine("TAKE");
            if (!header.startsWith(Wire.LISTENERS + " ")) {
                throw protocol(header, "LISTENERS n");
            }
            int count = Integer.parseInt(header.substring(Wire.LISTENERS.length() + 1).strip());
            List<Wire.Offered> offered = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                offered.add(Wire.Offered.parse(nextLine("LISTENERS")));
            }
            fds = connect(true);
            fds.writeAndFlush(Wire.FDS + "\n");
            for (Wire.Offered offer : offered) {
                taken.add(adopt(offer, nextDescriptor()));
            }
            control.writeAndFlush(Wire.READY + " " + count + "\n");
            String verdict = nextLine("READY");
            if (!verdict.equals(Wire.COMMIT)) {
                throw protocol(verdict, "COMMIT");
            }
            metrics.listenersReceived.increment(taken.size());
            return taken;
        } catch (IOException | RuntimeException e) {
            taken.forEach(channel -> channel.unsafe().closeForcibly());
            metrics.failed(e instanceof IOException ? "successor_gone" : "protocol");
            throw e instanceof IOException io ? io : new IOException("handover-socket: " + path + ": " + e.getMessage(), e);
        }
    }

    private static Channel adopt(Wire.Offered offer, FileDescriptor descriptor) throws IOException {
        Channel channel = offer.protocol() == Protocol.TCP
                ? new EpollServerSocketChannel(descriptor.intValue()) : new EpollDatagramChannel(descriptor.intValue());
        if (!offer.address().equals(channel.localAddress())) {
            channel.unsafe().closeForcibly();
            throw new IOException("handover: received a socket on " + channel.localAddress()
                    + " (expected: " + offer + ")");
        }
        return channel;
    }

    /** Where connections a predecessor hands over go: relays one, or says no (the predecessor keeps it). */
    public interface ConnectionSink {
        boolean resume(InetSocketAddress listener, SocketChannel client, SocketChannel backend, InetSocketAddress backendAddress);
    }

    /**
     * Tells the predecessor this process serves its listening sockets, takes the established
     * connections it then offers (those {@code sink} refuses stay with it), and waits until it
     * has released what this process binds next (its admin ports and the handover path).
     *
     * @return the connections taken
     */
    public int serving(int adopted, ConnectionSink sink, Predicate<AffinityPin> pins) throws IOException {
        control.writeAndFlush(Wire.SERVING + " " + adopted + "\n");
        String header = nextLine("SERVING");
        if (!header.startsWith(Wire.CONNECTIONS + " ")) {
            throw protocol(header, "CONNECTIONS m");
        }
        int count = Integer.parseInt(header.substring(Wire.CONNECTIONS.length() + 1).strip());
        List<Wire.Connection> listed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            listed.add(Wire.Connection.parse(nextLine("CONNECTIONS")));
        }
        int taken = 0;
        StringBuilder answer = new StringBuilder();
        for (int i = 0; i < count; i++) {
            SocketChannel client = new EpollSocketChannel(nextDescriptor().intValue());
            SocketChannel backend = new EpollSocketChannel(nextDescriptor().intValue());
            Wire.Connection connection = listed.get(i);
            if (sink.resume(connection.listener(), client, backend, connection.backend())) {
                taken++;
            } else {
                client.unsafe().closeForcibly();
                backend.unsafe().closeForcibly();
                answer.append(Wire.KEEP).append(' ').append(i).append('\n');
            }
        }
        control.writeAndFlush(answer.append(Wire.ADOPTED).append(' ').append(taken).append('\n').toString());
        metrics.connectionsReceived.increment(taken);
        String affinity = nextLine("ADOPTED");
        if (!affinity.startsWith(Wire.AFFINITY + " ")) {
            throw protocol(affinity, "AFFINITY p");
        }
        int offered = Integer.parseInt(affinity.substring(Wire.AFFINITY.length() + 1).strip());
        int restored = 0;
        for (int i = 0; i < offered; i++) {
            if (pins.test(Wire.parsePin(nextLine("AFFINITY")))) {
                restored++;
            }
        }
        control.writeAndFlush(Wire.PINNED + " " + restored + "\n");
        try {
            String done = nextLine("PINNED");
            if (!done.equals(Wire.DONE)) {
                throw protocol(done, "DONE");
            }
        } catch (IOException e) {
            // Its sockets are ours already; a predecessor that ended early released everything too.
            log.warn("handover-socket: {}: no DONE from pid {} ({}); going on", path, predecessorPid, e.getMessage());
        }
        return taken;
    }

    private Channel connect(boolean descriptorsOnly) throws IOException {
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel channel) {
                        if (descriptorsOnly) {
                            channel.pipeline().addLast(new StringEncoder(StandardCharsets.UTF_8), new Inbox(descriptors));
                        } else {
                            channel.pipeline().addLast(new LineBasedFrameDecoder(Wire.MAX_LINE),
                                    new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                    new Inbox(lines));
                        }
                    }
                });
        if (descriptorsOnly) {
            bootstrap.option(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS);
        }
        ChannelFuture connected = bootstrap.connect(new DomainSocketAddress(path.toString()));
        if (!connected.awaitUninterruptibly(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            connected.channel().close();
            throw new IOException("no connection within " + timeout.toMillis() + " ms");
        }
        if (!connected.isSuccess()) {
            throw new IOException(connected.cause().getMessage(), connected.cause());
        }
        return connected.channel();
    }

    /** Queues what a connection receives, and its end. */
    private static final class Inbox extends ChannelInboundHandlerAdapter {
        private final BlockingQueue<Object> queue;

        Inbox(BlockingQueue<Object> queue) {
            this.queue = queue;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            queue.add(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            queue.add(CLOSED);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("handover connection failed: {}", cause.toString());
            ctx.close();
        }
    }

    private String nextLine(String after) throws IOException {
        Object next = poll(lines, after);
        String line = ((String) next).strip();
        if (line.startsWith(Wire.REFUSED + " ") || line.startsWith(Wire.ABORT + " ")) {
            throw new IOException("handover-socket: " + path + ": pid " + (predecessorPid == 0 ? "?" : predecessorPid)
                    + " answered " + line);
        }
        return line;
    }

    private FileDescriptor nextDescriptor() throws IOException {
        FileDescriptor next = (FileDescriptor) poll(descriptors, "FDS");
        if (++received % (Wire.WINDOW / 2) == 0) {
            control.writeAndFlush(Wire.GOT + " " + received + "\n");
        }
        return next;
    }

    private Object poll(BlockingQueue<Object> queue, String after) throws IOException {
        Object next;
        try {
            next = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (next == null) {
            throw new IOException("handover-socket: " + path + ": no answer to " + after + " within "
                    + timeout.toMillis() + " ms (expected: the predecessor to answer)");
        }
        if (next == CLOSED) {
            throw new IOException("handover-socket: " + path + ": the predecessor closed the connection after " + after);
        }
        return next;
    }

    private IOException protocol(String line, String expected) {
        return new IOException("handover-socket: " + path + ": " + line + " (expected: " + expected + ")");
    }

    @Override
    public void close() {
        for (Channel channel : new Channel[] {control, fds}) {
            if (channel != null) {
                channel.close().awaitUninterruptibly();
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (Object left : descriptors) {
            if (left instanceof FileDescriptor descriptor) {
                try {
                    descriptor.close();
                } catch (IOException e) {
                    log.debug("closing a descriptor not taken: {}", e.toString());
                }
            }
        }
    }
}
