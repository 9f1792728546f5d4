package dev.sluice.proxy.forward;

import io.netty.channel.socket.DatagramPacket;

/**
 * The UDP flows of one frontend whose datagrams arrive at a shared transparent listener (see
 * {@link UdpForwarder#captured}). Every method runs on that listener's event loop.
 */
public interface CapturedDatagrams {
    /** Forwards one datagram whose original destination is this frontend; takes ownership of it. */
    void receive(DatagramPacket packet);

    /** Closes the flows whose backend left the service. */
    void dropStaleFlows();

    /** Closes every flow: the frontend left the table. */
    void closeFlows();
}
