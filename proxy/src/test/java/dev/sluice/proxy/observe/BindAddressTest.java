package dev.sluice.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class BindAddressTest {

    /** IPv4 and bracketed IPv6 with ports, and bare addresses that take the default port. */
    @Test
    void parsesKubeProxyStyleAddresses() {
        assertThat(parse("0.0.0.0:10256")).isEqualTo(new InetSocketAddress("0.0.0.0", 10256));
        assertThat(parse("127.0.0.1")).isEqualTo(new InetSocketAddress("127.0.0.1", 10249));
        assertThat(parse("[::1]:9000")).isEqualTo(new InetSocketAddress("::1", 9000));
        assertThat(parse("[::]")).isEqualTo(new InetSocketAddress("::", 10249));
        assertThat(parse("::")).isEqualTo(new InetSocketAddress("::", 10249));
        assertThat(parse("2001:db8::1")).isEqualTo(new InetSocketAddress("2001:db8::1", 10249));
        assertThat(parse("198.18.0.10:0").getPort()).isZero();
    }

    /** Host names, bad ports and malformed brackets fail with the option named and a valid example. */
    @Test
    void refusesWhatIsNotAnIpAndPort() {
        for (String bad : new String[] {"localhost:10249", "example.com", "1.2.3.4:http", "1.2.3.4:70000", "[::1", "[::1]x", ""}) {
            assertThatThrownBy(() -> parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("metrics-bind-address: " + bad
                            + " (expected: an IP address with an optional port, like 0.0.0.0:10256 or [::]:10256)");
        }
    }

    private static InetSocketAddress parse(String value) {
        return BindAddress.parse("metrics-bind-address", value, 10249);
    }
}
