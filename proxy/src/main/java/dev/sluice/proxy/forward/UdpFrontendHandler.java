package dev.sluice.proxy.forward;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.proxy.balance.BackendState;
import dev.sluice.proxy.balance.Dial;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.balance.Routes;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening side of a UDP service port: finds or opens the flow of each datagram's sender
 * and sends the backend's replies back from the listening address.
 */
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter implements CapturedDatagrams {
    private static final Logger log = LoggerFactory.getLogger(UdpFrontendHandler.class);

    private final UdpForwarder forwarder;
    private final ServiceCounters counters;
    /** Confined to the listener's event loop, like every flow in it. */
    private final Map<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    private Channel listener;
    /** Where replies leave from when the listener is a shared transparent one; null when it is the frontend's own. */
    private final InetSocketAddress service;

    UdpFrontendHandler(UdpForwarder forwarder) {
        this(forwarder, null, null);
    }

    UdpFrontendHandler(UdpForwarder forwarder, Channel sharedListener, InetSocketAddress service) {
        this.forwarder = forwarder;
        this.counters = forwarder.slot.counters();
        this.listener = sharedListener;
        this.service = service;
    }

    /** A datagram for this frontend, from its own listener or a shared transparent one: relays it on its flow. */
    @Override
    public void receive(DatagramPacket packet) {
        UdpFlow flow = flows.get(packet.sender());
        if (flow == null) {
            flow = open(packet.sender());
            if (flow == null) {
                packet.release();
                return;
            }
        }
        counters.add(ServiceCounters.BYTES_TO_BACKEND, packet.content().readableBytes());
        flow.send(packet.content());
    }

    @Override
    public void closeFlows() {
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            flow.close();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        listener = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet) {
            receive(packet);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private UdpFlow open(InetSocketAddress sender) {
        Routes routes = forwarder.slot.routes();
        ServicePolicy policy = routes.entry().policy();
        if (forwarder.filtersSources() && !policy.admits(sender.getAddress())) {
            counters.refuse(Refusal.SOURCE_RANGE);
            return null;
        }
        Pool pool = routes.poolFor(forwarder.type);
        if (pool.isEmpty()) {
            counters.refuse(routes.onlyRemoteEndpoints(forwarder.type)
                    ? Refusal.NO_LOCAL_ENDPOINTS : Refusal.NO_ENDPOINTS);
            return null;
        }
        long now = System.nanoTime();
        Dial dial = pool.dial(sender.getAddress());
        dial.next(now);
        // A datagram socket connects without a handshake: the pick is final.
        BackendState backend = dial.connected(now);
        UdpFlow flow = new UdpFlow(this, sender, backend, forwarder.settings.udpFlowTimeout());
        InetAddress source = SourceChoice.forBackend(forwarder.backendSource(sender.getAddress(), policy),
                backend.address().getAddress());
        flow.open(forwarder.connectFlow(listener.eventLoop(), flow, backend.address(), source));
        if (service != null) {
            flow.replyFrom(forwarder.connectReply(listener.eventLoop(), new FlowClientSide(flow), service, sender).channel());
        }
        flows.put(sender, flow);
        forwarder.slot.udpFlowCount().incrementAndGet();
        counters.increment(ServiceCounters.ACCEPTED);
        return flow;
    }

    /** A client datagram that reached a flow's reply socket rather than the listener. */
    void fromClient(UdpFlow flow, ByteBuf content) {
        counters.add(ServiceCounters.BYTES_TO_BACKEND, content.readableBytes());
        flow.send(content);
    }

    /** A flow's socket closed: forget it, so the next datagram from its client picks again. */
    void flowClosed(UdpFlow flow) {
        if (flows.remove(flow.client(), flow)) {
            forwarder.slot.udpFlowCount().decrementAndGet();
            flow.backend().release();
        }
    }

    /** A flow's backend is not reachable (ICMP port unreachable): count it; the flow closes. */
    void flowFailed(UdpFlow flow, Throwable cause) {
        counters.increment(ServiceCounters.CONNECT_FAILURES);
        if (log.isDebugEnabled()) {
            log.debug("{} UDP flow {} -> {} failed: {}", forwarder.slot.logPrefix(), Addresses.format(flow.client()),
                    flow.backend(), cause.toString());
        }
    }

    void reply(UdpFlow flow, ByteBuf content) {
        if (!listener.isActive() || !listener.isWritable()) {
            // UDP may drop; queueing replies for a slow socket would only grow memory.
            content.release();
            return;
        }
        counters.add(ServiceCounters.BYTES_TO_CLIENT, content.readableBytes());
        Channel replies = flow.replyChannel();
        if (replies != null) {
            if (replies.isActive()) {
                replies.writeAndFlush(new DatagramPacket(content, flow.client()), replies.voidPromise());
            } else {
                content.release();
            }
            return;
        }
        listener.writeAndFlush(new DatagramPacket(content, flow.client()), listener.voidPromise());
    }

    @Override
    public void dropStaleFlows() {
        Pool pool = forwarder.slot.routes().poolFor(forwarder.type);
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            if (pool.indexOf(flow.backend()) < 0) {
                if (log.isDebugEnabled()) {
                    log.debug("{} UDP flow {} -> {} closed: backend left", forwarder.slot.logPrefix(),
                            Addresses.format(flow.client()), flow.backend());
                }
                flow.close();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeFlows();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A failed send to one client must not stop the listener for the others.
        if (log.isDebugEnabled()) {
            log.debug("{} UDP listener {} error: {}", forwarder.slot.logPrefix(),
                    Addresses.format(listener.localAddress()), cause.toString());
        }
    }
}
