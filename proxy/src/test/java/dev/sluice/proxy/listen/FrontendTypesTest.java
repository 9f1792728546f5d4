package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.loopback;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** What the frontend type changes: NodePort expansion, source-range filtering, the external endpoint set. */
class FrontendTypesTest {
    private static final NodePortAddresses LOOPBACK_ONLY = NodePortAddresses.parse("127.0.0.0/8");
    @AutoClose
    private static final TestBackends backends = new TestBackends();

    private static ServiceEntry nodePort(String name, int port, ServicePolicy policy, List<Backend> internal,
            List<Backend> external, int total) {
        return new ServiceEntry(Proxy.key(name, Protocol.TCP), List.of(new Frontend(FrontendType.NODE_PORT, null, port)),
                internal, external, policy, 0, total);
    }

    /** Shows that a NodePort frontend listens on the node addresses selected by --nodeport-addresses, and ignores source ranges. */
    @Test
    void nodePortListensOnNodeAddressesWithoutSourceFiltering() throws IOException {
        int port = freePort();
        ServicePolicy elsewhereOnly = new ServicePolicy(false, false, null, List.of(Cidr.parse("198.18.0.0/15")), 0,
                Balance.ROUND_ROBIN, 0);
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withNodePortAddresses(LOOPBACK_ONLY));
                TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(nodePort("np", port, elsewhereOnly, List.of(a.backend()), List.of(a.backend()), 1));
            assertThat(proxy.listeners.boundAddresses()).contains(loopback(port))
                    .allSatisfy(address -> assertThat(address.getAddress().isLoopbackAddress()).isTrue());
            try (Client client = Client.connect(port)) {
                assertThat(client.readLine()).isEqualTo("a");
            }
            assertThat(proxy.count("sluice.connections.refused", "np", "reason", "source_range")).isZero();
        }
    }

    /** Shows that NodePort traffic uses the external endpoint set, and an empty one under a Local policy counts no_local_endpoints. */
    @Test
    void externalLocalPolicyWithoutLocalEndpointsResets() {
        int port = freePort();
        ServicePolicy externalLocal = new ServicePolicy(false, true, null, List.of(), 0, Balance.ROUND_ROBIN, 0);
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withNodePortAddresses(LOOPBACK_ONLY));
                TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(nodePort("local", port, externalLocal, List.of(a.backend()), List.of(), 1));
            Client.assertReset(port);
            assertThat(proxy.count("sluice.connections.refused", "local", "reason", "no_local_endpoints")).isEqualTo(1);
            assertThat(a.accepted().get()).isZero();
        }
    }
}
