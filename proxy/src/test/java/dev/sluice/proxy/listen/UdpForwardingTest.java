package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freeUdpPort;
import static dev.sluice.proxy.listen.Proxy.loopback;
import static dev.sluice.proxy.listen.Proxy.udp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.ServicePolicy;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** UDP forwarding through a {@link ListenerSet}: per-client flows, replies from the frontend, flows that follow the table. */
class UdpForwardingTest {
    @AutoClose
    private static final TestBackends backends = new TestBackends();

    /** Sends one datagram to the proxy and returns the reply, checking it came from the proxy's address. */
    private static String ask(DatagramSocket client, int port, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        client.send(new DatagramPacket(bytes, bytes.length, loopback(port)));
        DatagramPacket reply = new DatagramPacket(new byte[512], 512);
        client.receive(reply);
        assertThat(reply.getSocketAddress()).isEqualTo(loopback(port));
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }

    private static DatagramSocket client() throws IOException {
        DatagramSocket socket = new DatagramSocket(0, TestBackends.LOOPBACK);
        socket.setSoTimeout(5_000);
        return socket;
    }

    /** Shows that a datagram reaches a backend and its reply comes back from the frontend address, over one flow. */
    @Test
    void roundTripOverOneFlow() throws IOException {
        int port = freeUdpPort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server a = backends.udp("a");
                DatagramSocket client = client()) {
            proxy.publish(udp("dns", port, ServicePolicy.DEFAULT, a.backend()));
            assertThat(ask(client, port, "one")).isEqualTo("a:one");
            assertThat(ask(client, port, "two")).isEqualTo("a:two");
            assertThat(proxy.gauge("sluice.udp.flows.active", "dns")).isEqualTo(1);
            assertThat(proxy.count("sluice.connections.accepted", "dns")).isEqualTo(1);
            assertThat(proxy.count("sluice.bytes", "dns", "direction", "to_client")).isEqualTo(10);
        }
    }

    /** Shows that when a flow's endpoint leaves the table the flow is closed and the next datagram goes to a live endpoint. */
    @Test
    void flowMovesWhenItsEndpointIsRemoved() throws IOException {
        int port = freeUdpPort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server a = backends.udp("a");
                TestBackends.Server b = backends.udp("b"); DatagramSocket client = client()) {
            proxy.publish(udp("dns", port, ServicePolicy.DEFAULT, a.backend()));
            assertThat(ask(client, port, "q")).isEqualTo("a:q");

            // a keeps running: without the flow reset the client would keep talking to it.
            proxy.publish(udp("dns", port, ServicePolicy.DEFAULT, b.backend()));
            await().until(() -> proxy.gauge("sluice.udp.flows.active", "dns") == 0);
            assertThat(ask(client, port, "q")).isEqualTo("b:q");
            assertThat(a.accepted().get()).isEqualTo(1);
        }
    }

    /** Shows that a flow without datagrams either way is forgotten after the flow timeout. */
    @Test
    void idleFlowsExpire() throws IOException {
        int port = freeUdpPort();
        // Each round trip must fit in one flow timeout, or the reply finds its flow gone: leave room for a loaded machine.
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withUdpFlowTimeout(Duration.ofSeconds(1)));
                TestBackends.Server a = backends.udp("a"); DatagramSocket client = client()) {
            proxy.publish(udp("dns", port, ServicePolicy.DEFAULT, a.backend()));
            assertThat(ask(client, port, "q")).isEqualTo("a:q");
            await().until(() -> proxy.gauge("sluice.udp.flows.active", "dns") == 0);
            assertThat(ask(client, port, "again")).isEqualTo("a:again");
            assertThat(proxy.count("sluice.connections.accepted", "dns")).isEqualTo(2);
        }
    }

    /** Shows that datagrams to a service without endpoints are dropped and counted. */
    @Test
    void noEndpointsDropsAndCounts() throws IOException {
        int port = freeUdpPort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); DatagramSocket client = client()) {
            proxy.publish(udp("dns", port, ServicePolicy.DEFAULT));
            byte[] bytes = "q".getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(bytes, bytes.length, loopback(port)));
            client.send(new DatagramPacket(bytes, bytes.length, loopback(port)));
            await().until(() -> proxy.count("sluice.connections.refused", "dns", "reason", "no_endpoints") == 2);
            assertThat(proxy.gauge("sluice.udp.flows.active", "dns")).isZero();
        }
    }
}
