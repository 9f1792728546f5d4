package dev.sluice.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.SourceIp;
import dev.sluice.proxy.net.Transport;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The client's address is used exactly where kube-proxy keeps it, and never for a hairpin. */
class SourceChoiceTest {
    private static final InetAddress POD = address("198.18.1.2");

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ForwardSettings settings(boolean client, boolean routing) {
        return new ForwardSettings(Transport.choose("nio"), Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(30))
                .withSource(client, routing);
    }

    private static ServicePolicy policy(boolean externalLocal, SourceIp sourceIp) {
        return new ServicePolicy(false, externalLocal, null, List.of(), 0, Balance.ROUND_ROBIN, 0, false, sourceIp,
                ProxyProtocol.NONE);
    }

    @ParameterizedTest(name = "{0}, --source-ip client: {1}, eTP Local: {2}, service: {3} -> client IP: {4}")
    @CsvSource({
            "CLUSTER_IP,    true,  false, DEFAULT, true",
            "CLUSTER_IP,    false, false, DEFAULT, false",
            "LISTEN,        true,  false, DEFAULT, true",
            "NODE_PORT,     true,  false, DEFAULT, false",
            "NODE_PORT,     true,  true,  DEFAULT, true",
            "LOAD_BALANCER, true,  false, DEFAULT, false",
            "LOAD_BALANCER, true,  true,  DEFAULT, true",
            "EXTERNAL_IP,   true,  true,  DEFAULT, true",
            "CLUSTER_IP,    true,  false, NODE,    false",
            "LISTEN,        false, false, CLIENT,  true",
    })
    void theClientsAddressOnlyWhereTheReplyReturnsThroughThisNode(FrontendType type, boolean flag, boolean externalLocal,
            SourceIp sourceIp, boolean expected) {
        InetAddress source = SourceChoice.backendSource(settings(flag, true), type, POD, policy(externalLocal, sourceIp));

        assertThat(source).isEqualTo(expected ? POD : null);
    }

    @ParameterizedTest(name = "return routing installed: {0}")
    @ValueSource(booleans = {true, false})
    void aServicesOwnClientChoiceNeedsTheReturnRouting(boolean routing) {
        InetAddress source = SourceChoice.backendSource(settings(false, routing), FrontendType.LISTEN, POD,
                policy(false, SourceIp.CLIENT));

        assertThat(source).isEqualTo(routing ? POD : null);
    }

    @Test
    void ipv6ClientsKeepTheNodesAddress() {
        assertThat(SourceChoice.backendSource(settings(true, true), FrontendType.CLUSTER_IP, address("2001:db8::2"),
                policy(false, SourceIp.DEFAULT))).isNull();
    }

    @Test
    void aPodReachingItselfThroughItsServiceComesFromTheNode() {
        assertThat(SourceChoice.forBackend(POD, POD)).isNull();
        assertThat(SourceChoice.forBackend(POD, address("198.18.2.11"))).isEqualTo(POD);
        assertThat(SourceChoice.forBackend(null, POD)).isNull();
    }
}
