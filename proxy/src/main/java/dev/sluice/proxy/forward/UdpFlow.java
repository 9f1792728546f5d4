package dev.sluice.proxy.forward;

import dev.sluice.proxy.balance.BackendState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One client's UDP flow: a datagram socket connected to the backend picked for it. Confined to
 * the listener's event loop.
 */
final class UdpFlow extends ChannelInboundHandlerAdapter {
    /** Datagrams held while the socket connects; more are dropped, as a network would. */
    private static final int MAX_PENDING = 64;

    private final UdpFrontendHandler owner;
    private final InetSocketAddress client;
    private final BackendState backend;
    private final long timeoutNanos;
    private ChannelFuture connect;
    /** The socket replies leave from, for a flow of a shared transparent listener; else null. */
    private Channel replies;
    private int pending;

    UdpFlow(UdpFrontendHandler owner, InetSocketAddress client, BackendState backend, Duration timeout) {
        this.owner = owner;
        this.client = client;
        this.backend = backend;
        this.timeoutNanos = timeout.toNanos();
    }

    InetSocketAddress client() {
        return client;
    }

    BackendState backend() {
        return backend;
    }

    void replyFrom(Channel channel) {
        replies = channel;
        channel.closeFuture().addListener(f -> close());
    }

    Channel replyChannel() {
        return replies;
    }

    UdpFrontendHandler owner() {
        return owner;
    }

    void open(ChannelFuture connect) {
        this.connect = connect;
        connect.channel().closeFuture().addListener(f -> {
            if (replies != null) {
                replies.close();
            }
            owner.flowClosed(this);
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                owner.flowFailed(this, f.cause());
                close();
            }
        });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Idle in both directions: writes are the client's datagrams, reads the backend's replies.
        ctx.pipeline().addBefore(ctx.name(), null, new IdleStateHandler(0, 0, timeoutNanos, TimeUnit.NANOSECONDS));
    }

    /** Sends one client datagram's payload to the backend; takes ownership of it. */
    void send(ByteBuf payload) {
        Channel channel = connect.channel();
        if (connect.isDone()) {
            if (connect.isSuccess() && channel.isWritable()) {
                channel.writeAndFlush(payload, channel.voidPromise());
            } else {
                payload.release();
            }
            return;
        }
        if (pending >= MAX_PENDING) {
            payload.release();
            return;
        }
        pending++;
        connect.addListener(f -> {
            pending--;
            if (f.isSuccess()) {
                channel.writeAndFlush(payload, channel.voidPromise());
            } else {
                payload.release();
            }
        });
    }

    void close() {
        connect.channel().close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content;
        if (msg instanceof DatagramPacket packet) {
            content = packet.content();
        } else if (msg instanceof ByteBuf buf) {
            content = buf;
        } else {
            ReferenceCountUtil.release(msg);
            return;
        }
        owner.reply(this, content);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        owner.flowFailed(this, cause);
        ctx.close();
    }
}
