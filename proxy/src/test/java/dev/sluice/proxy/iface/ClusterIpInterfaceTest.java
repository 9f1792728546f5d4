package dev.sluice.proxy.iface;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.BackendTable;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.state.TablePublisher;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ClusterIpInterface against the real kernel, inside a network namespace each test creates and
 * deletes: no change ever reaches the host's interfaces. Skipped without root.
 */
class ClusterIpInterfaceTest {
    private static final String IFACE = "sluice0";
    private static String unavailable;

    private NetworkNamespace ns;
    private final List<ClusterIpInterface> started = new ArrayList<>();
    private final TablePublisher publisher = new TablePublisher();
    private long generation;

    @BeforeAll
    static void probe() {
        unavailable = NetworkNamespace.unavailableReason();
    }

    @BeforeEach
    void createNamespace() {
        Assumptions.assumeTrue(unavailable == null, unavailable);
        ns = NetworkNamespace.create("iface");
    }

    @AfterEach
    void deleteNamespace() {
        try {
            started.forEach(ClusterIpInterface::close);
        } finally {
            if (ns != null) {
                ns.close();
            }
        }
    }

    @Test
    void aNewTablePutsClusterLoadBalancerAndExternalIpsOnTheInterfaceButNotNodePortsOrListenAddresses() {
        ClusterIpInterface iface = start(ns.ipCommand());
        publish(entry("shop", "web", "http",
                        frontend(FrontendType.CLUSTER_IP, "198.18.0.10"),
                        frontend(FrontendType.LOAD_BALANCER, "198.18.1.10"),
                        frontend(FrontendType.EXTERNAL_IP, "198.18.2.10"),
                        new Frontend(FrontendType.NODE_PORT, null, 30080),
                        frontend(FrontendType.LISTEN, "198.18.3.10")),
                entry6("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "2001:db8::10")));

        String shown = addresses(iface);
        assertThat(shown).contains("inet 198.18.0.10/32", "inet 198.18.1.10/32", "inet 198.18.2.10/32",
                "inet6 2001:db8::10/128");
        assertThat(shown).doesNotContain("198.18.3.10");
        assertThat(iface.heldAddresses()).containsExactlyInAnyOrder(ip("198.18.0.10"), ip("198.18.1.10"),
                ip("198.18.2.10"), ip("2001:db8::10"));
        assertThat(iface.failedChanges()).isZero();
    }

    @Test
    void theAddressesOfARemovedServiceLeaveTheInterface() {
        ClusterIpInterface iface = start(ns.ipCommand());
        ServiceEntry web = entry("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.10"));
        ServiceEntry db = entry("shop", "db", "pg", frontend(FrontendType.CLUSTER_IP, "198.18.0.11"),
                frontend(FrontendType.LOAD_BALANCER, "198.18.1.11"));
        publish(web, db);
        assertThat(addresses(iface)).contains("198.18.0.11/32", "198.18.1.11/32");

        publish(web);

        assertThat(addresses(iface)).contains("inet 198.18.0.10/32").doesNotContain("198.18.0.11", "198.18.1.11");
        assertThat(iface.heldAddresses()).containsExactly(ip("198.18.0.10"));
    }

    @Test
    void anAddressTwoServicesShareStaysUntilTheLastOneGoes() {
        ClusterIpInterface iface = start(ns.ipCommand());
        ServiceEntry a = entry("shop", "a", "http", frontend(FrontendType.EXTERNAL_IP, "198.18.2.20"));
        ServiceEntry b = entry("shop", "b", "http", frontend(FrontendType.EXTERNAL_IP, "198.18.2.20"),
                frontend(FrontendType.CLUSTER_IP, "198.18.0.21"));
        publish(a, b);

        publish(b);
        assertThat(addresses(iface)).contains("inet 198.18.2.20/32");

        publish();
        assertThat(addresses(iface)).doesNotContain("198.18.2.20", "198.18.0.21");
        assertThat(iface.heldAddresses()).isEmpty();
    }

    @Test
    void addressesAPreviousRunLeftBehindAreRemovedByTheFirstTableUnlessStillWanted() {
        ClusterIpInterface crashed = new ClusterIpInterface(IFACE, ns.ipCommand());
        crashed.start();
        crashed.onTable(dev.sluice.discovery.model.TableChange.between(BackendTable.empty(), BackendTable.of(1, List.of(
                entry("shop", "old", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.50")),
                entry6("shop", "old", "http", frontend(FrontendType.CLUSTER_IP, "2001:db8::50")),
                entry("shop", "kept", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.51"))))));
        // Another program's addresses on the same device carry no Sluice marker.
        String device = crashed.device();
        ns.ip("addr", "add", "198.18.0.60/32", "dev", device);
        ns.ip("addr", "add", "2001:db8::60/128", "dev", device, "nodad");

        ClusterIpInterface next = start(ns.ipCommand());
        assertThat(next.heldAddresses()).contains(ip("198.18.0.50"), ip("2001:db8::50"), ip("198.18.0.51"));
        publish(entry("shop", "kept", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.51")));

        assertThat(addresses(next)).contains("inet 198.18.0.51/32").doesNotContain("198.18.0.50", "2001:db8::50");
        assertThat(next.heldAddresses()).containsExactly(ip("198.18.0.51"));
        if (next.usingLoopback()) {
            assertThat(addresses(next)).contains("inet 198.18.0.60/32", "inet6 2001:db8::60/128");
        }
    }

    @Test
    void withoutADummyDriverTheAddressesGoOnLoMarkedAsSluices() {
        boolean dummyDriver = kernelHasDummyDriver();
        ClusterIpInterface iface = start(ns.ipCommand());
        publish(entry("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.10")),
                entry6("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "2001:db8::10")));

        if (dummyDriver) {
            assertThat(iface.usingLoopback()).isFalse();
            assertThat(iface.device()).isEqualTo(IFACE);
            assertThat(addresses(iface)).contains("inet 198.18.0.10/32", "inet6 2001:db8::10/128");
        } else {
            assertThat(iface.usingLoopback()).isTrue();
            assertThat(iface.device()).isEqualTo("lo");
            assertThat(ns.ip("link", "show")).doesNotContain(IFACE);
            String lo = ns.ip("-o", "addr", "show", "dev", "lo");
            assertThat(lo).containsPattern("inet 198\\.18\\.0\\.10/32 .*lo:sluice0");
            assertThat(lo).containsPattern("inet6 2001:db8::10/128 metric \\d+");
        }
    }

    @Test
    void closeRemovesExactlyTheAddressesSluiceAdded() {
        ClusterIpInterface iface = start(ns.ipCommand());
        publish(entry("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.10")),
                entry6("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "2001:db8::10")));
        boolean loopback = iface.usingLoopback();
        if (loopback) {
            ns.ip("addr", "add", "198.18.0.60/32", "dev", "lo");
        }

        iface.close();

        String all = ns.ip("-o", "addr", "show");
        assertThat(all).doesNotContain("198.18.0.10", "2001:db8::10");
        assertThat(ns.ip("link", "show")).doesNotContain(IFACE);
        if (loopback) {
            assertThat(all).contains("inet 198.18.0.60/32");
        }
        assertThat(iface.heldAddresses()).isEmpty();
    }

    @Test
    void oneFailedAddIsCountedAndRetriedWithoutStoppingTheOthers() {
        ClusterIpInterface iface = start(ns.ipCommand());
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.lo.disable_ipv6=1");
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf." + iface.device() + ".disable_ipv6=1");
        ServiceEntry v4 = entry("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "198.18.0.10"));
        ServiceEntry v6 = entry6("shop", "web", "http", frontend(FrontendType.CLUSTER_IP, "2001:db8::10"));
        publish(v4, v6);

        assertThat(iface.failedChanges()).isEqualTo(1);
        assertThat(addresses(iface)).contains("inet 198.18.0.10/32");
        assertThat(iface.heldAddresses()).containsExactly(ip("198.18.0.10"));

        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.lo.disable_ipv6=0");
        ns.exec("sysctl", "-q", "-w", "net.ipv6.conf." + iface.device() + ".disable_ipv6=0");
        publish(v4, v6, entry("shop", "db", "pg", frontend(FrontendType.CLUSTER_IP, "198.18.0.11")));

        assertThat(addresses(iface)).contains("inet6 2001:db8::10/128", "inet 198.18.0.11/32");
        assertThat(iface.failedChanges()).isEqualTo(1);
    }

    @Test
    void withoutCapNetAdminStartFailsSayingSo() {
        ClusterIpInterface iface = new ClusterIpInterface(IFACE, ns.ipCommandWithoutNetAdmin());

        assertThatThrownBy(iface::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Operation not permitted")
                .hasMessageContaining("CAP_NET_ADMIN");
    }

    @Test
    void aNameThatIsNotAnInterfaceNameIsRejected() {
        assertThatThrownBy(() -> new ClusterIpInterface("sluice0; reboot", ns.ipCommand()))
                .hasMessageStartingWith("cluster-ip-interface: sluice0; reboot (expected: an interface name");
        assertThatThrownBy(() -> new ClusterIpInterface("a-very-long-name0", ns.ipCommand()))
                .hasMessageStartingWith("cluster-ip-interface: a-very-long-name0 (expected:");
    }

    private boolean kernelHasDummyDriver() {
        IpCommand.Result probe = ns.ipCommand().run(List.of("link", "add", "probe0", "type", "dummy"));
        return probe.ok();
    }

    private ClusterIpInterface start(IpCommand ip) {
        ClusterIpInterface iface = new ClusterIpInterface(IFACE, ip);
        started.add(iface);
        iface.start();
        publisher.addListener(iface);
        return iface;
    }

    private void publish(ServiceEntry... entries) {
        publisher.publish(BackendTable.of(++generation, List.of(entries)));
    }

    private String addresses(ClusterIpInterface iface) {
        return ns.ip("-o", "addr", "show", "dev", iface.device());
    }

    private static ServiceEntry entry(String namespace, String name, String port, Frontend... frontends) {
        return entry(IpFamily.IPv4, namespace, name, port, "198.19.0.1", frontends);
    }

    private static ServiceEntry entry6(String namespace, String name, String port, Frontend... frontends) {
        return entry(IpFamily.IPv6, namespace, name, port, "2001:db8:1::1", frontends);
    }

    private static ServiceEntry entry(IpFamily family, String namespace, String name, String port, String backend,
            Frontend... frontends) {
        ServicePortKey key = new ServicePortKey(namespace, name, port, Protocol.TCP, family);
        return new ServiceEntry(key, List.of(frontends), List.of(Backend.of(backend, 8080)), null,
                ServicePolicy.DEFAULT, 0, 1);
    }

    private static Frontend frontend(FrontendType type, String address) {
        return new Frontend(type, ip(address), 80);
    }

    private static java.net.InetAddress ip(String text) {
        return Addresses.parseIp(text);
    }
}
