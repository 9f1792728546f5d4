package dev.sluice.discovery.file;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.FrontendType;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.discovery.model.SessionAffinity;
import dev.sluice.discovery.model.SourceIp;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Valid config files and what each feature becomes in the table model. */
class StaticConfigTest {
    @TempDir
    Path dir;

    @Test
    void minimalServiceGetsTcpRoundRobinAndNoLimits() throws IOException {
        StaticConfig config = load("""
                services:
                  - name: web
                    listen: ["127.0.0.1:8080"]
                    backends: ["127.0.0.1:9003", "127.0.0.1:9001", "127.0.0.1:9002"]
                """);

        ServicePortKey key = new ServicePortKey("", "web", "", Protocol.TCP, IpFamily.IPv4);
        assertThat(config.services()).containsExactly(ServiceEntry.standalone(key,
                List.of(new Frontend(FrontendType.LISTEN, ip("127.0.0.1"), 8080)),
                List.of(Backend.of("127.0.0.1", 9001), Backend.of("127.0.0.1", 9002), Backend.of("127.0.0.1", 9003)),
                ServicePolicy.DEFAULT));
        assertThat(config.settings()).isEmpty();
    }

    @Test
    void everyPolicyKeyReachesTheServicePolicy() throws IOException {
        StaticConfig config = load("""
                services:
                  - name: api
                    listen: ["127.0.0.1:8443"]
                    backends: ["127.0.0.1:9001"]
                    protocol: TCP
                    balance: least-connections
                    maxConnections: 500
                    sessionAffinity: {timeoutSeconds: 60}
                    sourceRanges: ["198.18.0.0/15", "2001:db8::/32"]
                    metrics: true
                    sourceIp: client
                    proxyProtocol: v2
                """);

        assertThat(config.services().get(0).policy()).isEqualTo(new ServicePolicy(false, false,
                new SessionAffinity(60), List.of(Cidr.parse("198.18.0.0/15"), Cidr.parse("2001:db8::/32")), 0,
                Balance.LEAST_CONNECTIONS, 500, true, SourceIp.CLIENT, ProxyProtocol.V2));
    }

    @Test
    void emptyAffinityMappingMeansTheKubernetesDefaultTimeout() throws IOException {
        StaticConfig config = load("""
                services:
                  - {name: web, listen: "127.0.0.1:8080", sessionAffinity: {}}
                """);

        assertThat(config.services().get(0).policy().affinity())
                .isEqualTo(new SessionAffinity(SessionAffinity.DEFAULT_TIMEOUT_SECONDS));
    }

    @Test
    void haproxyBalanceNamesAndLowerCaseProtocolAreAccepted() throws IOException {
        StaticConfig config = load("""
                services:
                  - {name: a, listen: "127.0.0.1:8080", balance: leastconn, protocol: udp}
                  - {name: b, listen: "127.0.0.1:8081", balance: roundrobin}
                """);

        assertThat(config.services().get(0).policy().balance()).isEqualTo(Balance.LEAST_CONNECTIONS);
        assertThat(config.services().get(0).key().protocol()).isEqualTo(Protocol.UDP);
        assertThat(config.services().get(1).policy().balance()).isEqualTo(Balance.ROUND_ROBIN);
    }

    @Test
    void singleAddressNeedsNoListAndMissingBackendsMeansNone() throws IOException {
        StaticConfig config = load("""
                services:
                  - name: web
                    listen: 127.0.0.1:8080
                """);

        ServiceEntry entry = config.services().get(0);
        assertThat(entry.frontends()).containsExactly(new Frontend(FrontendType.LISTEN, ip("127.0.0.1"), 8080));
        assertThat(entry.internalEndpoints()).isEmpty();
        assertThat(entry.totalEndpoints()).isZero();
    }

    @Test
    void familyOfTheKeyIsThatOfTheFirstListenAddress() throws IOException {
        StaticConfig config = load("""
                services:
                  - name: web
                    listen: ["[::1]:8080", "127.0.0.1:8080"]
                    backends: ["[2001:db8::5]:9001", "127.0.0.1:9001"]
                """);

        ServiceEntry entry = config.services().get(0);
        assertThat(entry.key().family()).isEqualTo(IpFamily.IPv6);
        assertThat(entry.frontends()).containsExactlyInAnyOrder(
                new Frontend(FrontendType.LISTEN, ip("::1"), 8080),
                new Frontend(FrontendType.LISTEN, ip("127.0.0.1"), 8080));
        assertThat(entry.internalEndpoints()).containsExactly(Backend.of("127.0.0.1", 9001),
                Backend.of("2001:db8::5", 9001));
    }

    @Test
    void starAndEmptyHostListenOnEveryIpv4Address() throws IOException {
        StaticConfig config = load("""
                services:
                  - {name: a, listen: "*:8080"}
                  - {name: b, listen: ":8081"}
                """);

        assertThat(config.services().get(0).frontends())
                .containsExactly(new Frontend(FrontendType.LISTEN, ip("0.0.0.0"), 8080));
        assertThat(config.services().get(1).frontends())
                .containsExactly(new Frontend(FrontendType.LISTEN, ip("0.0.0.0"), 8081));
    }

    @Test
    void tcpAndUdpMayShareAnAddress() throws IOException {
        StaticConfig config = load("""
                services:
                  - {name: dns-udp, listen: "127.0.0.1:5353", protocol: UDP}
                  - {name: dns-tcp, listen: "127.0.0.1:5353", protocol: TCP}
                """);

        assertThat(config.services()).extracting(e -> e.key().protocol()).containsExactly(Protocol.UDP, Protocol.TCP);
    }

    @Test
    void emptyServiceListIsValid() throws IOException {
        assertThat(load("services: []\n").services()).isEmpty();
    }

    @Test
    void settingsKeepFileOrderAndScalarText() throws IOException {
        StaticConfig config = load("""
                services: []
                settings:
                  metrics-bind-address: 127.0.0.1:10249
                  health-timeout-seconds: 30
                  masquerade: true
                  nodeport-addresses: "198.18.0.0/15,2001:db8::/32"
                """);

        assertThat(config.settings()).containsExactly(
                Map.entry("metrics-bind-address", "127.0.0.1:10249"),
                Map.entry("health-timeout-seconds", "30"),
                Map.entry("masquerade", "true"),
                Map.entry("nodeport-addresses", "198.18.0.0/15,2001:db8::/32"));
    }

    @Test
    void settingsLeftEmptyAfterCommentingOutAreNone() throws IOException {
        StaticConfig config = load("""
                services: []
                settings:
                  # metrics-bind-address: 127.0.0.1:10249
                """);

        assertThat(config.settings()).isEmpty();
    }

    @Test
    void everyShippedExampleIsValid() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("../examples"))) {
            examples = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }

        assertThat(examples).hasSizeGreaterThanOrEqualTo(2);
        for (Path example : examples) {
            assertThat(StaticConfig.load(example).services()).as(example.toString()).isNotEmpty();
        }
    }

    @Test
    void standaloneExampleServesThreeLocalBackendsOnPort8080() {
        StaticConfig config = StaticConfig.load(Path.of("../examples/standalone.yaml"));

        assertThat(config.services()).singleElement().satisfies(entry -> {
            assertThat(entry.frontends()).containsExactly(new Frontend(FrontendType.LISTEN, ip("127.0.0.1"), 8080));
            assertThat(entry.internalEndpoints()).containsExactly(Backend.of("127.0.0.1", 9001),
                    Backend.of("127.0.0.1", 9002), Backend.of("127.0.0.1", 9003));
        });
    }

    @Test
    void aConfigWrittenAsJsonIsReadAsTheYamlDocumentItIs() throws IOException {
        StaticConfig config = load("""
                {"services": [{"name": "web", "listen": ["[fd00::6]:8080"], "backends": ["[fd00:1::1]:9001"]}]}
                """);

        assertThat(config.services()).singleElement().satisfies(entry -> {
            assertThat(entry.frontends()).containsExactly(new Frontend(FrontendType.LISTEN, ip("fd00::6"), 8080));
            assertThat(entry.internalEndpoints()).containsExactly(Backend.of("fd00:1::1", 9001));
        });
    }

    private StaticConfig load(String yaml) throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        return StaticConfig.load(file);
    }

    private static InetAddress ip(String text) {
        return Addresses.parseIp(text);
    }
}
