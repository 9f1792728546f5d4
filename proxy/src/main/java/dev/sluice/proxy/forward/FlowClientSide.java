package dev.sluice.proxy.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;

/**
 * The client side of a captured UDP flow: the socket bound to the service's address and
 * connected to the client, from which replies leave. The kernel also delivers the client's later
 * datagrams here (a connected socket matches them better than the shared listener), so they are
 * passed on to the flow's backend.
 */
final class FlowClientSide extends ChannelInboundHandlerAdapter {
    private final UdpFlow flow;

    FlowClientSide(UdpFlow flow) {
        this.flow = flow;
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
        flow.owner().fromClient(flow, content);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // An ICMP error from the client's side: the flow ends, the client may start another.
        ctx.close();
    }
}
