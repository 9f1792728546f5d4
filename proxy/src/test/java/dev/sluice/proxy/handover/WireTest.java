package dev.sluice.proxy.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.listen.AffinityPin;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class WireTest {

    /** Shows that an offered socket survives the line it travels as, IPv4 and IPv6 alike. */
    @Test
    void offeredSocketsRoundTripThroughTheirLine() throws Exception {
        for (Wire.Offered offered : new Wire.Offered[] {
            new Wire.Offered(Protocol.TCP, new InetSocketAddress(InetAddress.getByName("198.18.0.7"), 8080)),
            new Wire.Offered(Protocol.UDP, new InetSocketAddress(InetAddress.getByName("::1"), 53)),
        }) {
            assertThat(Wire.Offered.parse(offered.line())).isEqualTo(offered);
        }
    }

    /** Shows that a malformed offer is rejected with the line and the expected form. */
    @Test
    void aMalformedOfferNamesTheLine() {
        assertThatThrownBy(() -> Wire.Offered.parse("SCTP 127.0.0.1 80"))
                .hasMessage("handover: SCTP 127.0.0.1 80 (expected: TCP|UDP ip port)");
        assertThatThrownBy(() -> Wire.Offered.parse("TCP 127.0.0.1 http"))
                .hasMessage("handover: TCP 127.0.0.1 http (expected: TCP|UDP ip port)");
    }

    /** Shows that an affinity pin survives its line, empty namespace and port name included. */
    @Test
    void affinityPinsRoundTripThroughTheirLine() throws Exception {
        AffinityPin pin = new AffinityPin(new ServicePortKey("", "web", "", Protocol.TCP, IpFamily.IPv4), true,
                new Pool.Pinned(InetAddress.getByName("198.18.0.9"),
                        new InetSocketAddress(InetAddress.getByName("198.18.1.2"), 8443), 123_456_789L));
        assertThat(Wire.parsePin(Wire.line(pin))).isEqualTo(pin);
        assertThatThrownBy(() -> Wire.parsePin("web TCP")).hasMessageStartingWith("handover: web TCP (expected: namespace name");
    }
}
