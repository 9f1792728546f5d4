package dev.sluice.proxy.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.IpFamily;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The --nodeport-addresses flag and the proxy options' validation. */
class NodePortAddressesTest {

    /** Shows that the empty flag selects every local address, loopback included. */
    @Test
    void emptyFlagMeansAllLocalAddresses() {
        assertThat(NodePortAddresses.parse("").resolve(IpFamily.IPv4)).contains(Addresses.parseIp("127.0.0.1"));
    }

    /** Shows that a CIDR list selects only the local addresses inside it, per family. */
    @Test
    void cidrsFilterLocalAddresses() {
        NodePortAddresses loopbackOnly = NodePortAddresses.parse("127.0.0.0/8, ::1/128");
        assertThat(loopbackOnly.resolve(IpFamily.IPv4)).isNotEmpty()
                .allSatisfy(a -> assertThat(a.isLoopbackAddress()).isTrue());
        assertThat(loopbackOnly.resolve(IpFamily.IPv6)).allSatisfy(a -> assertThat(a.isLoopbackAddress()).isTrue());
        assertThat(NodePortAddresses.parse("127.0.0.0/8").resolve(IpFamily.IPv6)).isEmpty();
        assertThat(NodePortAddresses.parse("127.0.0.0/8 ,198.18.0.0/15")).hasToString("127.0.0.0/8,198.18.0.0/15");
    }

    /** Shows that primary selects at most one address per family, never loopback. */
    @Test
    void primaryIsOneNonLoopbackAddress() {
        assertThat(NodePortAddresses.parse("primary").resolve(IpFamily.IPv4)).hasSizeLessThanOrEqualTo(1)
                .noneMatch(a -> a.isLoopbackAddress());
    }

    /** Shows that a malformed flag names the flag and what was expected. */
    @Test
    void badFlagIsRejected() {
        assertThatThrownBy(() -> NodePortAddresses.parse("198.18.0.0/15,nonsense"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("nodeport-addresses: 198.18.0.0/15,nonsense (expected: CIDR,... or primary)");
        assertThatThrownBy(() -> NodePortAddresses.parse("198.18.0.1"))
                .hasMessage("nodeport-addresses: 198.18.0.1 (expected: CIDR,... or primary)");
    }

    /** Shows that the defaults are kube-proxy's and a bad option names itself. */
    @Test
    void optionsDefaultsAndValidation() {
        assertThat(ProxyOptions.DEFAULT.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(ProxyOptions.DEFAULT.idleTimeout()).isZero();
        assertThat(ProxyOptions.DEFAULT.udpFlowTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> ProxyOptions.DEFAULT.withMaxConnections(-1))
                .hasMessage("max-connections: -1 (expected: 0 for no limit, or more)");
        assertThatThrownBy(() -> ProxyOptions.DEFAULT.withConnectTimeout(Duration.ZERO))
                .hasMessage("connect-timeout: PT0S (expected: more than zero)");
    }
}
