package dev.sluice.proxy.handover;

import dev.sluice.proxy.forward.HandedConnection;
import dev.sluice.proxy.listen.AffinityPin;
import dev.sluice.proxy.listen.MovingConnection;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running process's side of a handover: serves a Unix socket at a path (mode 0600, and a
 * peer must run as this process's uid, checked with SO_PEERCRED) where the next process takes
 * every listening socket from it, then every established connection it can place, then the
 * client-IP affinity pins ({@link Wire} has the protocol). One successor at a time; a second one is refused with the pid of the first.
 *
 * <p>Nothing is served by both processes and nothing by neither: the listening sockets stop
 * being read here before they are sent, and new connections wait in the sockets' own kernel
 * queues, which the successor's copies share, until the successor registers them. Until the
 * successor confirms it holds every socket (READY, answered by COMMIT) a failure or the timeout
 * resumes reading here; after COMMIT only the successor's end (its connection closes without
 * SERVING, so its copies are gone) resumes here, since from then on the successor may serve.
 *
 * <p>An established connection moves only when nothing of it is in flight here: no more reads
 * are asked for, pending writes complete, and both channels leave the event loop before their
 * descriptors are sent, so every byte not yet read stays in the kernel for the successor. One
 * the successor sends back (KEEP) is registered and read here again. If the successor goes away
 * while taking connections, those it was taking are closed: it may have read from them.
 *
 * <p>Threading: protocol steps and the {@link Sockets} calls run on one worker thread, never on
 * the event loop, since pausing sockets waits for the data path's loops.
 */
public final class HandoverServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);

    /** What a handover does to the process; called on the worker thread. */
    public interface Sockets {
        /** A successor connected (true), or its handover failed (false). */
        void successor(boolean connected);

        /** Stops reading every listening socket without closing it; returns them (epoll channels). */
        List<Channel> pause();

        /** The handover failed: read the paused sockets again. */
        void resume();

        /** Every live client-IP affinity pin, for the successor. */
        List<AffinityPin> affinityPins();

        /** Takes the established connections of the paused listeners off their event loops. */
        List<MovingConnection> detachConnections();

        /**
         * The successor serves every socket: release what it will bind next (the admin ports),
         * then drain what is left here. Must not block for long: DONE waits for it.
         */
        void handedOver();
    }


    private final Path path;
    private final Duration timeout;
    private final Sockets sockets;
    private final HandoverMetrics metrics;
    private final int uid = Wire.ownUid();
    private final EventLoopGroup group = Wire.newGroup();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sluice-handover-worker");
        thread.setDaemon(true);
        return thread;
    });
    private Channel server;
    // Confined to the worker thread.
    private Session session;

    public HandoverServer(Path path, Duration timeout, Sockets sockets, HandoverMetrics metrics) {
        this.path = path;
        this.timeout = timeout;
        this.sockets = sockets;
        this.metrics = metrics;
    }

    /**
     * Binds the socket at the path, replacing a file a predecessor left there, and makes it
     * readable and writable by this uid only.
     *
     * @throws IOException when the path cannot be bound
     */
    public void start() throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.deleteIfExists(path);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel channel) {
                        channel.pipeline().addLast(new LineBasedFrameDecoder(Wire.MAX_LINE),
                                new StringDecoder(StandardCharsets.UTF_8), new StringEncoder(StandardCharsets.UTF_8),
                                new Peer());
                    }
                });
        try {
            server = bootstrap.bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (Exception e) {
            throw new IOException("handover-socket: " + path + ": " + e.getMessage()
                    + " (expected: a path this process can create a Unix socket at)", e);
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        log.info("serving handovers on {}", path);
    }

    /** Reads lines from one peer connection and hands them to the worker. */
    private final class Peer extends ChannelInboundHandlerAdapter {
        private int pid;
        private boolean trusted;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws IOException {
            PeerCredentials credentials = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
            pid = credentials.pid();
            trusted = credentials.uid() == uid;
            if (!trusted) {
                metrics.failed("peer_uid");
                log.warn("handover refused: peer pid {} runs as uid {} (expected: uid {})", pid, credentials.uid(), uid);
                refuse(ctx.channel(), "peer uid " + credentials.uid() + " (expected: uid " + uid + ")");
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            String line = (String) msg;
            Channel channel = ctx.channel();
            if (!trusted) {
                return;
            }
            submit(() -> onLine(channel, pid, line.strip()));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Channel channel = ctx.channel();
            if (trusted) {
                submit(() -> onClosed(channel));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("handover connection from pid {} failed: {}", pid, cause.toString());
            ctx.close();
        }
    }

    private void submit(Runnable step) {
        try {
            worker.execute(step);
        } catch (RejectedExecutionException e) {
            log.debug("handover server closed; dropping a step");
        }
    }

    private static void refuse(Channel channel, String reason) {
        channel.writeAndFlush(Wire.REFUSED + " " + reason + "\n").addListener(ChannelFutureListener.CLOSE);
    }

    private void onLine(Channel channel, int pid, String line) {
        String word = line.split(" ", 2)[0];
        if (session == null || session.control != channel) {
            onNewConnection(channel, pid, word);
            return;
        }
        switch (word) {
            case Wire.TAKE -> take();
            case Wire.READY -> ready(line);
            case Wire.SERVING -> serving(line);
            case Wire.KEEP -> keep(line);
            case Wire.GOT -> got(line);
            case Wire.PINNED -> pinned(line);
            case Wire.ADOPTED -> adopted(line);
            default -> fail("unexpected \"" + line + "\" at " + session.step, "protocol");
        }
    }

    private void onNewConnection(Channel channel, int pid, String word) {
        if (word.equals(Wire.HELLO)) {
            if (session != null) {
                metrics.failed("busy");
                log.warn("handover refused to pid {}: a handover to pid {} is running", pid, session.peerPid);
                refuse(channel, "a handover to pid " + session.peerPid + " is running (expected: one successor at a time)");
                return;
            }
            session = new Session(channel, pid);
            Session current = session;
            session.deadline = worker.schedule(() -> expire(current), timeout.toNanos(), TimeUnit.NANOSECONDS);
            log.info("successor pid {} connected for a handover", pid);
            sockets.successor(true);
            channel.writeAndFlush(Wire.WAIT + " " + Wire.ownPid() + "\n");
        } else if (word.equals(Wire.FDS) && session != null && session.step == Session.Step.OFFERED && session.peerPid == pid) {
            sendSockets(channel);
        } else {
            metrics.failed("protocol");
            refuse(channel, "unexpected " + word + " (expected: HELLO, or FDS from the successor being served)");
        }
    }

    private void take() {
        if (session.step != Session.Step.RESERVED) {
            fail("TAKE twice", "protocol");
            return;
        }
        session.takenNanos = System.nanoTime();
        session.paused = sockets.pause();
        session.step = Session.Step.OFFERED;
        StringBuilder offer = new StringBuilder(Wire.LISTENERS).append(' ').append(session.paused.size()).append('\n');
        for (Channel channel : session.paused) {
            offer.append(Wire.Offered.of(channel).line()).append('\n');
        }
        session.control.writeAndFlush(offer.toString());
    }

    /** One descriptor per message, in the order offered; each is a duplicate made by the kernel. */
    private void sendSockets(Channel fds) {
        session.step = Session.Step.SENT;
        session.fds = fds;
        for (Channel channel : session.paused) {
            session.outgoing.add(((UnixChannel) channel).fd().intValue());
        }
        session.pump();
        if (session.readyBeforeFds) {
            ready(Wire.READY + " 0");
        }
    }

    private void got(String line) {
        try {
            int received = Integer.parseInt(line.substring(Wire.GOT.length()).strip());
            if (session.fds != null && received > session.acked && received <= session.sent) {
                session.acked = received;
                session.pump();
                return;
            }
        } catch (NumberFormatException e) {
            // Reported below as a protocol error.
        }
        fail("unexpected \"" + line + "\" at " + session.step, "protocol");
    }

    private void ready(String line) {
        // With no socket to wait for, the successor's READY (control connection) can overtake its FDS (another one).
        if (session.step == Session.Step.OFFERED && session.paused.isEmpty() && line.equals(Wire.READY + " 0")) {
            session.readyBeforeFds = true;
            return;
        }
        if (session.step != Session.Step.SENT || !line.equals(Wire.READY + " " + session.paused.size())) {
            fail("unexpected \"" + line + "\" at " + session.step, "protocol");
            return;
        }
        session.deadline.cancel(false);
        session.step = Session.Step.COMMITTED;
        session.control.writeAndFlush(Wire.COMMIT + "\n");
    }

    /**
     * The successor serves the listeners: offer it the established connections, each read no
     * more and flushed, and taken off its event loop (the kernel keeps what arrives meanwhile).
     */
    private void serving(String line) {
        if (session.step != Session.Step.COMMITTED) {
            fail("unexpected \"" + line + "\" at " + session.step, "protocol");
            return;
        }
        session.serving = line;
        session.moved = new ArrayList<>();
        List<Wire.Connection> listed = new ArrayList<>();
        for (MovingConnection moving : sockets.detachConnections()) {
            HandedConnection connection = moving.connection().awaitUninterruptibly().getNow();
            if (connection != null) {
                session.moved.add(connection);
                listed.add(new Wire.Connection(moving.listener(), connection.backendAddress()));
            }
        }
        session.step = Session.Step.MOVING;
        StringBuilder offer = new StringBuilder(Wire.CONNECTIONS).append(' ').append(listed.size()).append('\n');
        listed.forEach(connection -> offer.append(connection.line()).append('\n'));
        session.control.writeAndFlush(offer.toString());
        for (HandedConnection connection : session.moved) {
            session.outgoing.add(((UnixChannel) connection.client()).fd().intValue());
            session.outgoing.add(((UnixChannel) connection.backend()).fd().intValue());
        }
        // No deadline from here on: the successor serves the listeners already, so only its end
        // (its connection closes) gives them back.
        session.pump();
    }

    private void keep(String line) {
        int index = session.step == Session.Step.MOVING ? parseIndex(line) : -1;
        if (index < 0 || index >= session.moved.size()) {
            fail("unexpected \"" + line + "\" at " + session.step, "protocol");
            return;
        }
        session.kept.add(index);
    }

    private static int parseIndex(String line) {
        try {
            return Integer.parseInt(line.substring(Wire.KEEP.length()).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The successor relays what it did not keep back: close those copies here, serve the rest again. */
    private void adopted(String line) {
        if (session.step != Session.Step.MOVING) {
            fail("unexpected \"" + line + "\" at " + session.step, "protocol");
            return;
        }
        for (int i = 0; i < session.moved.size(); i++) {
            if (session.kept.contains(i)) {
                session.moved.get(i).reattach();
            } else {
                session.moved.get(i).handedOff();
            }
        }
        metrics.connectionsSent.increment(session.moved.size() - session.kept.size());
        List<AffinityPin> pins = sockets.affinityPins();
        session.pins = pins.size();
        session.step = Session.Step.PINNING;
        StringBuilder offer = new StringBuilder(Wire.AFFINITY).append(' ').append(pins.size()).append('\n');
        pins.forEach(pin -> offer.append(Wire.line(pin)).append('\n'));
        session.control.writeAndFlush(offer.toString());
    }

    private void pinned(String line) {
        if (session.step != Session.Step.PINNING) {
            fail("unexpected \"" + line + "\" at " + session.step, "protocol");
            return;
        }
        log.info("handed {} client-IP affinity pin(s) to pid {} ({})", session.pins, session.peerPid, line);
        finish();
    }

    private void finish() {
        Session done = session;
        session = null;
        metrics.listenersSent.increment(done.paused.size());
        long nanos = System.nanoTime() - done.takenNanos;
        metrics.duration.record(nanos, TimeUnit.NANOSECONDS);
        log.info("handed {} listening socket(s) and {} established connection(s) to pid {} in {} ms ({}; {} kept here)",
                done.paused.size(), done.moved.size() - done.kept.size(), done.peerPid, TimeUnit.NANOSECONDS.toMillis(nanos),
                done.serving, done.kept.size());
        sockets.handedOver();
        // The successor binds this path next: close (which unlinks it) before saying DONE.
        server.close().awaitUninterruptibly();
        done.control.writeAndFlush(Wire.DONE + "\n").addListener(ChannelFutureListener.CLOSE);
    }

    private void onClosed(Channel channel) {
        if (session != null && session.control == channel) {
            fail("the successor closed the connection", "successor_gone");
        }
    }

    private void expire(Session expired) {
        if (session == expired && session.step.compareTo(Session.Step.COMMITTED) < 0) {
            fail("no READY within " + timeout.toMillis() + " ms (--handover-timeout)", "timeout");
        }
    }

    /** Resumes what was paused, says so in one line, and ends the session. */
    private void fail(String reason, String tag) {
        Session failed = session;
        session = null;
        failed.deadline.cancel(false);
        metrics.failed(tag);
        int paused = failed.paused == null ? 0 : failed.paused.size();
        if (failed.paused != null) {
            sockets.resume();
        }
        if (failed.moved != null) {
            // The successor may have read from them already: neither side can relay them intact now.
            failed.moved.forEach(HandedConnection::handedOff);
            log.warn("handover to pid {}: closing {} connection(s) it was taking", failed.peerPid, failed.moved.size());
        }
        sockets.successor(false);
        log.warn("handover to pid {} failed at {}: {}; still serving {} listening socket(s){}", failed.peerPid,
                failed.step, reason, paused, paused == 0 ? " (none was paused)" : ", reading them again");
        if (failed.control.isActive()) {
            failed.control.writeAndFlush(Wire.ABORT + " " + reason + "\n").addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Waits until no handover runs, for at most {@code limit}: a process told to stop while a
     * successor takes its sockets lets the successor finish first.
     */
    public void awaitIdle(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (worker.submit(() -> session == null).get()) {
                    return;
                }
            } catch (ExecutionException | RejectedExecutionException e) {
                return;
            }
            // A coarse poll: this runs once, at shutdown.
            Thread.sleep(50);
        }
    }

    /** Stops serving handovers; the path is unlinked if this process still owns it. */
    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
        worker.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
