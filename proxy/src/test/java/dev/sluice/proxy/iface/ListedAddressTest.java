package dev.sluice.proxy.iface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Addresses;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading {@code ip -o addr show} output (as iproute2 6.1 prints it) and recognising Sluice's marks. */
class ListedAddressTest {
    private static final String LO = String.join("\n",
            "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
            "1: lo    inet 198.18.0.5/32 scope global lo:sluice0\\       valid_lft forever preferred_lft forever",
            "1: lo    inet 198.18.0.6/32 scope global lo\\       valid_lft forever preferred_lft forever",
            "1: lo    inet6 2001:db8::5/128 metric 1372471113 scope global \\       valid_lft forever preferred_lft forever",
            "1: lo    inet6 2001:db8::6/128 scope global \\       valid_lft forever preferred_lft forever",
            "1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever",
            "");

    @Test
    void eachAddressLineGivesAddressPrefixLabelAndMetric() {
        List<ListedAddress> listed = ListedAddress.parse(LO);

        assertThat(listed).hasSize(6);
        assertThat(listed.get(1)).isEqualTo(new ListedAddress(Addresses.parseIp("198.18.0.5"), 32, "lo:sluice0", -1));
        assertThat(listed.get(3)).isEqualTo(new ListedAddress(Addresses.parseIp("2001:db8::5"), 128, "", 1372471113L));
    }

    @Test
    void onLoOnlyAddressesWithSluicesLabelOrMetricAreOurs() {
        HostDevice lo = HostDevice.loopbackFor("sluice0");
        List<ListedAddress> listed = ListedAddress.parse(LO.replace("1372471113", Long.toString(lo.metric())));

        assertThat(listed).filteredOn(lo::isOurs).extracting(ListedAddress::address)
                .containsExactly(Addresses.parseIp("198.18.0.5"), Addresses.parseIp("2001:db8::5"));
    }

    @Test
    void onTheDummyInterfaceEveryGlobalAddressIsOurs() {
        HostDevice dummy = HostDevice.dummy("sluice0");
        String shown = String.join("\n",
                "5: sluice0    inet 198.18.0.5/32 scope global sluice0\\       valid_lft forever preferred_lft forever",
                "5: sluice0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever");

        assertThat(ListedAddress.parse(shown)).filteredOn(dummy::isOurs).extracting(a -> Addresses.format(a.address()))
                .containsExactly("198.18.0.5");
    }

    @Test
    void theLoopbackLabelFitsTheKernelsFifteenBytes() {
        assertThat(HostDevice.loopbackFor("sluice0").label()).isEqualTo("lo:sluice0");
        assertThat(HostDevice.loopbackFor("abcdefghijklmno").label()).isEqualTo("lo:abcdefghijkl");
    }

    @Test
    void anAddressThatIsNotAnIpLiteralIsAnError() {
        assertThatThrownBy(() -> ListedAddress.parse("1: lo    inet example.com/32 scope global lo"))
                .hasMessageContaining("example.com");
    }
}
