package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Dial;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.balance.Routes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied TCP connection, from the client's side: admission, the backend dial with retry,
 * and the relay in both directions (the backend channel's {@link BackendHandler} calls back
 * here). Everything runs on the client channel's event loop, which the backend channel shares.
 *
 * <p>Backpressure: each side reads one buffer, writes it to the other side and reads again
 * only when that write completed. Half-close: when one side ends its input, the other side's
 * output is shut down after the pending writes; the connection closes when both are done.
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);

    private final TcpForwarder forwarder;
    private final ServiceCounters counters;
    private final ChannelFutureListener afterConnect = this::afterConnect;
    private final ChannelFutureListener afterWriteToBackend = this::afterWriteToBackend;
    private final ChannelFutureListener afterWriteToClient = this::afterWriteToClient;
    private final ChannelFutureListener afterShutdownOutput = this::afterShutdownOutput;

    // Confined to the event loop.
    private Channel client;
    /** The backend channel being connected or connected; null before the first dial. */
    private Channel backend;
    /** Non-null while dialling. */
    private Dial dial;
    /** The address backend connections are bound to; null for the node's. */
    private InetAddress source;
    private ProxyProtocol proxyProtocol = ProxyProtocol.NONE;
    private BackendState dialling;
    /** Non-null once connected: the backend this connection counts against. */
    private BackendState connected;
    /** Holds a permit of the gate and of the slot. */
    private boolean admitted;
    private boolean clientInputDone;
    private boolean backendInputDone;
    /** The last write of the current read batch, flushed at read-complete. */
    private ChannelFuture pendingToBackend;
    private ChannelFuture pendingToClient;
    /** Set while a handover takes this connection: no more reads are asked for. */
    private boolean detaching;
    /** A connection a predecessor handed over: its backend channel and the backend it counts against. */
    private final Channel resumedBackend;
    private final BackendState resumedTarget;

    ClientHandler(TcpForwarder forwarder) {
        this(forwarder, null, null);
    }

    /** For a connection handed over established: admitted and connected already (see {@link TcpForwarder#resume}). */
    ClientHandler(TcpForwarder forwarder, Channel resumedBackend, BackendState resumedTarget) {
        this.forwarder = forwarder;
        this.counters = forwarder.slot.counters();
        this.resumedBackend = resumedBackend;
        this.resumedTarget = resumedTarget;
    }

    /** The backend this connection is relayed to, or null while dialling. */
    BackendState connectedBackend() {
        return connected;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        if (resumedBackend != null) {
            backend = resumedBackend;
            connected = resumedTarget;
            admitted = true;
            client.read();
            backend.read();
            return;
        }
        counters.increment(ServiceCounters.ACCEPTED);
        admit();
    }

    /**
     * On the event loop: stops asking for reads, waits until nothing is in flight either way,
     * and takes both channels off the event loop; completes {@code result} with the connection,
     * or with null when it cannot move (dialling, half-closed, closing, or never quiet).
     */
    void detach(Promise<HandedConnection> result, int attempt) {
        if (connected == null || clientInputDone || backendInputDone || !client.isActive() || !backend.isActive()) {
            detaching = false;
            result.setSuccess(null);
            return;
        }
        detaching = true;
        if (!quiet()) {
            if (attempt >= 2_000) {
                resumeReading();
                result.setSuccess(null);
            } else {
                client.eventLoop().schedule(() -> detach(result, attempt + 1), 1, TimeUnit.MILLISECONDS);
            }
            return;
        }
        client.deregister();
        backend.deregister().addListener(done -> {
            if (quiet()) {
                result.setSuccess(new HandedConnection(this, client, backend, connected.address()));
                return;
            }
            // A read asked for before detaching arrived meanwhile: relay it, then try again.
            client.eventLoop().register(backend);
            client.eventLoop().register(client).addListener(again -> detach(result, attempt + 1));
        });
    }

    /** Nothing read and not yet written, nothing written and not yet sent, either way. */
    private boolean quiet() {
        return pendingToBackend == null && pendingToClient == null && nothingPending(client) && nothingPending(backend);
    }

    private void resumeReading() {
        detaching = false;
        client.read();
        backend.read();
    }

    /** The successor serves this connection: release what it counted here and close this process's copies. */
    void handedOff() {
        if (connected != null) {
            connected.release();
            connected = null;
        }
        if (admitted) {
            admitted = false;
            forwarder.gate.release();
            forwarder.slot.release();
        }
        // Deregistered already: closing only drops this process's descriptors, the peers see nothing.
        client.close();
        backend.close();
    }

    /** The successor did not take this connection: serve it here again. */
    void reattach() {
        client.eventLoop().register(backend);
        client.eventLoop().register(client).addListener(done -> resumeReading());
    }

    private void admit() {
        Routes routes = forwarder.slot.routes();
        ServicePolicy policy = routes.entry().policy();
        if (!forwarder.gate.tryAcquire()) {
            refuse(Refusal.LIMIT);
            return;
        }
        if (!forwarder.slot.tryAcquire(policy.maxConnections())) {
            forwarder.gate.release();
            refuse(Refusal.LIMIT);
            return;
        }
        admitted = true;
        InetAddress clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress();
        if (forwarder.filtersSources() && !policy.admits(clientIp)) {
            refuse(Refusal.SOURCE_RANGE);
            return;
        }
        Pool pool = routes.poolFor(forwarder.type);
        if (pool.isEmpty()) {
            refuse(routes.onlyRemoteEndpoints(forwarder.type) ? Refusal.NO_LOCAL_ENDPOINTS : Refusal.NO_ENDPOINTS);
            return;
        }
        source = forwarder.backendSource(clientIp, policy);
        proxyProtocol = policy.proxyProtocol();
        dial = pool.dial(clientIp);
        connect(dial.next(System.nanoTime()));
    }

    private void connect(BackendState target) {
        dialling = target;
        ChannelFuture future;
        try {
            future = forwarder.connectBackend(client.eventLoop(), new BackendHandler(this), target.address(),
                    SourceChoice.forBackend(source, target.address().getAddress()), proxyProtocol);
        } catch (ChannelException e) {
            backend = null;
            connectFailed(System.nanoTime(), e);
            return;
        }
        backend = future.channel();
        future.addListener(afterConnect);
    }

    private void afterConnect(ChannelFuture future) {
        long now = System.nanoTime();
        if (!client.isActive()) {
            dial.abandoned();
            dial = null;
            future.channel().close();
            return;
        }
        if (future.isSuccess()) {
            connected = dial.connected(now);
            dial = null;
            if (proxyProtocol != ProxyProtocol.NONE) {
                ProxyHeader.write(proxyProtocol, client, backend);
            }
            client.read();
            backend.read();
            return;
        }
        // A failed socket stays open (and registered) until closed, and could still report events.
        future.channel().close();
        connectFailed(now, future.cause());
    }

    private void connectFailed(long now, Throwable cause) {
        counters.increment(ServiceCounters.CONNECT_FAILURES);
        if (dial.failed(now)) {
            counters.increment(ServiceCounters.EJECTIONS);
            log.info("{} backend {} ejected after failed connects: {}", forwarder.slot.logPrefix(), dialling,
                    cause.toString());
        } else {
            log.debug("{} connect to backend {} failed: {}", forwarder.slot.logPrefix(), dialling, cause.toString());
        }
        BackendState next = dial.next(now);
        if (next == null) {
            dial = null;
            backend = null;
            refuse(Refusal.BACKENDS_UNREACHABLE);
            return;
        }
        counters.increment(ServiceCounters.CONNECT_RETRIES);
        connect(next);
    }

    private void refuse(Refusal reason) {
        counters.refuse(reason);
        if (log.isDebugEnabled()) {
            log.debug("{} reset client {}: {}", forwarder.slot.logPrefix(), Addresses.format(client.remoteAddress()),
                    reason.tag());
        }
        reset(client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (connected == null || !backend.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            counters.add(ServiceCounters.BYTES_TO_BACKEND, buf.readableBytes());
        }
        pendingToBackend = backend.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (pendingToBackend != null) {
            ChannelFuture last = pendingToBackend;
            pendingToBackend = null;
            backend.flush();
            last.addListener(afterWriteToBackend);
        }
    }

    private void afterWriteToBackend(ChannelFuture future) {
        if (!future.isSuccess()) {
            closeBoth();
        } else if (!clientInputDone && !detaching) {
            client.read();
        }
    }

    void fromBackend(Object msg) {
        if (!client.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf buf) {
            counters.add(ServiceCounters.BYTES_TO_CLIENT, buf.readableBytes());
        }
        pendingToClient = client.write(msg);
    }

    void backendReadComplete() {
        if (pendingToClient != null) {
            ChannelFuture last = pendingToClient;
            pendingToClient = null;
            client.flush();
            last.addListener(afterWriteToClient);
        }
    }

    private void afterWriteToClient(ChannelFuture future) {
        if (!future.isSuccess()) {
            closeBoth();
        } else if (!backendInputDone && !detaching) {
            backend.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            clientInputDone = true;
            endOutputOf(backend);
        } else if (evt instanceof IdleStateEvent && !detaching) {
            counters.increment(ServiceCounters.IDLE_TIMEOUTS);
            if (log.isDebugEnabled()) {
                log.debug("{} closing idle connection from {}", forwarder.slot.logPrefix(),
                        Addresses.format(client.remoteAddress()));
            }
            closeBoth();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    void backendInputShutdown() {
        backendInputDone = true;
        endOutputOf(client);
    }

    /** The other side said it will send no more: pass the FIN on once our writes to {@code peer} are out. */
    private void endOutputOf(Channel peer) {
        if (connected == null || peer == null || !peer.isActive() || clientInputDone && backendInputDone) {
            // When both sides have ended their input, closing (after pending writes) sends the
            // same FIN a shutdown would, and saves the shutdown call.
            closeBoth();
            return;
        }
        if (nothingPending(peer)) {
            shutdownOutputOf(peer);
            return;
        }
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture written) -> {
            if (written.isSuccess()) {
                shutdownOutputOf(peer);
            } else {
                closeBoth();
            }
        });
    }

    private void shutdownOutputOf(Channel peer) {
        // With its output shut, the end of the peer's input ends the connection: let the transport
        // close the channel at that EOF rather than shut its input down first. That shutdown is a
        // system call which fails (ENOTCONN) once the peer has closed, and the transport builds an
        // exception with a stack trace for it; closing is what would follow anyway.
        SocketChannel socket = (SocketChannel) peer;
        socket.config().setAllowHalfClosure(false);
        socket.shutdownOutput().addListener(afterShutdownOutput);
    }

    private void afterShutdownOutput(ChannelFuture shut) {
        if (!shut.isSuccess() || clientInputDone && backendInputDone) {
            closeBoth();
        }
    }

    /**
     * Whether every write to {@code channel} has reached its socket, so there is nothing to
     * wait for: the shortcut saves a write, a promise and a listener per side and connection.
     */
    private static boolean nothingPending(Channel channel) {
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        // isEmpty() counts flushed writes only; the pending bytes count unflushed ones too.
        return pending != null && pending.isEmpty() && pending.totalPendingWriteBytes() == 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (backend != null) {
            if (connected == null) {
                // Still dialling: closing fails the connect, and afterConnect abandons the dial.
                backend.close();
            } else {
                closeOnFlush(backend);
            }
        }
        if (connected != null) {
            connected.release();
            connected = null;
        }
        if (admitted) {
            admitted = false;
            forwarder.gate.release();
            forwarder.slot.release();
        }
    }

    void backendInactive() {
        closeOnFlush(client);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failed("client", cause);
        if (backend != null) {
            reset(backend);
        }
        client.close();
    }

    void backendFailed(Throwable cause) {
        failed("backend " + connected, cause);
        reset(client);
        backend.close();
    }

    private void failed(String side, Throwable cause) {
        if (cause instanceof IOException) {
            if (log.isDebugEnabled()) {
                log.debug("{} {} of {} failed: {}", forwarder.slot.logPrefix(), side,
                        Addresses.format(client.remoteAddress()), cause.toString());
            }
        } else {
            log.warn("{} {} of {} failed", forwarder.slot.logPrefix(), side, Addresses.format(client.remoteAddress()),
                    cause);
        }
    }

    /** Closes both sides once what was already written has been sent. */
    void closeBoth() {
        closeOnFlush(client);
        if (backend != null) {
            closeOnFlush(backend);
        }
    }

    private static void closeOnFlush(Channel channel) {
        if (channel.isActive() && !nothingPending(channel)) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    /** Closes with SO_LINGER 0, so the peer sees a reset rather than an orderly end. */
    static void reset(Channel channel) {
        if (!channel.isOpen()) {
            return;
        }
        try {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (ChannelException e) {
            // The socket is already half gone; a plain close is the best left to do.
            if (log.isTraceEnabled()) {
                log.trace("SO_LINGER on the connection with {} failed: {}", Addresses.format(channel.remoteAddress()),
                        e.toString());
            }
        }
        channel.close();
    }
}
