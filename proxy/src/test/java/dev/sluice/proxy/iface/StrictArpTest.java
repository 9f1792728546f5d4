package dev.sluice.proxy.iface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The strict-ARP sysctls are written where and as the kernel expects them (against a scratch /proc/sys tree). */
class StrictArpTest {

    @Test
    void writesArpIgnoreOneAndArpAnnounceTwo(@TempDir Path procSys) throws IOException {
        Path conf = Files.createDirectories(procSys.resolve("net/ipv4/conf/all"));

        StrictArp.apply(procSys);

        assertThat(Files.readString(conf.resolve("arp_ignore"))).isEqualTo("1\n");
        assertThat(Files.readString(conf.resolve("arp_announce"))).isEqualTo("2\n");
    }

    @Test
    void anUnwritableTreeNamesTheFile(@TempDir Path procSys) {
        assertThatThrownBy(() -> StrictArp.apply(procSys))
                .hasMessageContaining("net/ipv4/conf/all/arp_ignore");
    }
}
