package dev.sluice.discovery.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Addresses are printed in RFC 5952 form, the one people and tools such as ip(8) write. */
class AddressesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "fd00:0:0:0:0:0:0:6, fd00::6",
        "FD00:0001:0000:0000:0000:0000:0000:00AB, fd00:1::ab",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "1:0:0:0:0:0:0:0, 1::",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "2001:db8:1:2:3:4:5:0, 2001:db8:1:2:3:4:5:0",
        "198.18.0.10, 198.18.0.10",
    })
    void anIpIsPrintedInItsCanonicalForm(String given, String printed) {
        assertThat(Addresses.format(Addresses.parseIp(given))).isEqualTo(printed);
    }

    @Test
    void aScopedAddressKeepsItsZone() throws UnknownHostException {
        InetAddress linkLocal = Inet6Address.getByAddress(null, Addresses.parseIp("fe80::1").getAddress(), 2);

        assertThat(Addresses.format(linkLocal)).isEqualTo("fe80::1%2");
    }

    @Test
    void aSocketAddressPutsAnIpv6AddressInBrackets() {
        assertThat(Addresses.format(new InetSocketAddress(Addresses.parseIp("fd00:0:0:0:0:0:0:6"), 80)))
                .isEqualTo("[fd00::6]:80");
        assertThat(Addresses.format(new InetSocketAddress(Addresses.parseIp("198.18.0.10"), 80)))
                .isEqualTo("198.18.0.10:80");
        assertThat(Addresses.format(InetSocketAddress.createUnresolved("example.test", 80)))
                .isEqualTo("example.test:80");
    }

    @Test
    void anIpAndPortPutAnIpv6AddressInBrackets() {
        assertThat(Addresses.format(Addresses.parseIp("fd00::6"), 80)).isEqualTo("[fd00::6]:80");
        assertThat(Addresses.format(Addresses.parseIp("198.18.0.10"), 80)).isEqualTo("198.18.0.10:80");
    }

    @Test
    void everyModelValueUsesIt() {
        InetAddress v6 = Addresses.parseIp("fd00:1:0:0:0:0:0:1");

        assertThat(new Frontend(FrontendType.CLUSTER_IP, v6, 8080)).hasToString("ClusterIP [fd00:1::1]:8080");
        assertThat(new Frontend(FrontendType.NODE_PORT, null, 30080)).hasToString("NodePort *:30080");
        assertThat(Backend.of("fd00:1:0:0:0:0:0:2", 80)).hasToString("[fd00:1::2]:80");
        assertThat(Cidr.parse("fd00:1:0:0:0:0:0:0/64")).hasToString("fd00:1::/64");
    }
}
