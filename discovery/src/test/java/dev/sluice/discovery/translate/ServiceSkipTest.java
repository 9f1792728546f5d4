package dev.sluice.discovery.translate;

import static dev.sluice.discovery.translate.K8s.endpoint;
import static dev.sluice.discovery.translate.K8s.port;
import static dev.sluice.discovery.translate.K8s.service;
import static dev.sluice.discovery.translate.K8s.slice;
import static dev.sluice.discovery.translate.K8s.slicePort;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.sluice.discovery.model.Balance;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What translation leaves out, and the reason it reports: one table row per skip rule. */
class ServiceSkipTest {
    static final NodeContext NODE = new NodeContext("node-a", "zone-a", Balance.ROUND_ROBIN);

    record Case(String name, Consumer<Service> change, int entries, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> serviceCases() {
        return Stream.of(
                new Case("clusterIP None is headless", s -> {
                    s.getSpec().setClusterIP("None");
                    s.getSpec().setClusterIPs(List.of("None"));
                }, 0, "headless"),
                new Case("no clusterIP at all", s -> {
                    s.getSpec().setClusterIP(null);
                    s.getSpec().setClusterIPs(null);
                }, 0, "no-cluster-ip"),
                new Case("empty clusterIP and clusterIPs", s -> {
                    s.getSpec().setClusterIP("");
                    s.getSpec().setClusterIPs(new ArrayList<>());
                }, 0, "no-cluster-ip"),
                new Case("ExternalName", s -> s.getSpec().setType("ExternalName"), 0, "external-name"),
                new Case("unknown type", s -> s.getSpec().setType("Gateway"), 0, "unsupported-type"),
                new Case("owned by another proxy",
                        s -> s.getMetadata().setLabels(new HashMap<>(
                                Map.of(ProxyLabels.PROXY_NAME_LABEL, "other"))), 0,
                        "service-proxy-name"),
                new Case("headless label",
                        s -> s.getMetadata().setLabels(new HashMap<>(
                                Map.of(ProxyLabels.HEADLESS_LABEL, ""))), 0, "headless"),
                new Case("no spec", s -> s.setSpec(null), 0, "no-spec"),
                new Case("no name", s -> s.getMetadata().setName(null), 0, "no-name"),
                new Case("no metadata", s -> s.setMetadata(null), 0, "no-name"),
                new Case("SCTP port is reported, the TCP port kept",
                        s -> s.getSpec().getPorts().add(port("sctp", "SCTP", 9, 0)), 1, "unsupported-protocol"),
                new Case("unknown protocol", s -> s.getSpec().getPorts().add(port("x", "QUIC", 9, 0)), 1,
                        "unsupported-protocol"),
                new Case("port 0", s -> s.getSpec().getPorts().add(port("zero", "TCP", 0, 0)), 1, "invalid-port"),
                new Case("port 65536", s -> s.getSpec().getPorts().add(port("big", "TCP", 65536, 0)), 1,
                        "invalid-port"),
                new Case("port -1", s -> s.getSpec().getPorts().add(port("neg", "TCP", -1, 0)), 1, "invalid-port"),
                new Case("missing port number", s -> s.getSpec().getPorts().add(port("none", "TCP", null, 0)), 1,
                        "invalid-port"),
                new Case("null port", s -> s.getSpec().getPorts().add(null), 1, "invalid-port"),
                new Case("repeated name and protocol", s -> s.getSpec().getPorts().add(port("http", "TCP", 81, 0)),
                        1, "duplicate-port"),
                new Case("node port out of range keeps the port", s -> {
                    s.getSpec().setType("NodePort");
                    s.getSpec().getPorts().get(0).setNodePort(70000);
                }, 1, "invalid-port"),
                new Case("no ports", s -> s.getSpec().setPorts(null), 0, "no-ports"),
                new Case("invalid cluster IP", s -> {
                    s.getSpec().setClusterIP("198.18.0.300");
                    s.getSpec().setClusterIPs(List.of("198.18.0.300"));
                }, 0, "invalid-address"),
                new Case("an invalid second cluster IP keeps the first family",
                        s -> s.getSpec().setClusterIPs(List.of("198.18.0.10", "not-an-ip")), 1, "invalid-address"),
                new Case("invalid external IP",
                        s -> s.getSpec().setExternalIPs(List.of("198.19.1.4", "198.19.1")), 1, "invalid-address"),
                new Case("zoned IPv6 external IP",
                        s -> s.getSpec().setExternalIPs(List.of("fe80::1%eth0")), 1, "invalid-address"),
                new Case("bad balance annotation", s -> s.getMetadata().setAnnotations(new HashMap<>(
                        Map.of(PolicyReader.BALANCE_ANNOTATION, "random"))), 1, "invalid-annotation"),
                new Case("negative max-connections", s -> s.getMetadata().setAnnotations(new HashMap<>(
                        Map.of(PolicyReader.MAX_CONNECTIONS_ANNOTATION, "-3"))), 1, "invalid-annotation"),
                new Case("unknown proxy-protocol version", s -> s.getMetadata().setAnnotations(new HashMap<>(
                        Map.of(PolicyReader.PROXY_PROTOCOL_ANNOTATION, "v3"))), 1, "invalid-annotation"),
                new Case("metrics annotation neither true nor false", s -> s.getMetadata().setAnnotations(new HashMap<>(
                        Map.of(PolicyReader.METRICS_ANNOTATION, "yes"))), 1, "invalid-annotation"),
                new Case("non-numeric max-connections",
                        s -> s.getMetadata().setAnnotations(new HashMap<>(
                                Map.of(PolicyReader.MAX_CONNECTIONS_ANNOTATION, "lots"))), 1,
                        "invalid-annotation"),
                new Case("affinity timeout 0", s -> {
                    s.getSpec().setSessionAffinity("ClientIP");
                    s.getSpec().setSessionAffinityConfig(new SessionAffinityConfig(
                            new ClientIPConfig(0)));
                }, 1, "invalid-affinity-timeout"),
                new Case("affinity timeout over a day", s -> {
                    s.getSpec().setSessionAffinity("ClientIP");
                    s.getSpec().setSessionAffinityConfig(new SessionAffinityConfig(
                            new ClientIPConfig(86401)));
                }, 1, "invalid-affinity-timeout"),
                new Case("unknown affinity", s -> s.getSpec().setSessionAffinity("Cookie"), 1,
                        "invalid-session-affinity"),
                new Case("bad source range",
                        s -> s.getSpec().setLoadBalancerSourceRanges(List.of("198.19.0.0/33")), 1,
                        "invalid-source-range"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serviceCases")
    void reportsServiceProblems(Case c) {
        Service service = service("web", "198.18.0.10").build();
        c.change().accept(service);

        Translation t = ServiceTranslator.translate(service, List.of(), NODE);

        assertThat(t.entries()).hasSize(c.entries());
        assertThat(t.skipped()).extracting(Skip::kind, Skip::reason)
                .containsExactly(tuple("Service", c.reason()));
    }

    @Test
    void aNullServiceIsReportedNotThrown() {
        Translation t = ServiceTranslator.translate(null, null, NODE);

        assertThat(t.entries()).isEmpty();
        assertThat(t.skipped()).containsExactly(new Skip("Service", "", "", "empty-object"));
    }

    @Test
    void aValidServiceHasNoSkips() {
        Translation t = ServiceTranslator.translate(service("web", "198.18.0.10").build(), List.of(), NODE);

        assertThat(t.skipped()).isEmpty();
        assertThat(t.entries()).hasSize(1);
    }

    record SliceCase(String name, Consumer<EndpointSlice> change, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<SliceCase> sliceCases() {
        return Stream.of(
                new SliceCase("FQDN slice", s -> s.setAddressType("FQDN"), "fqdn-slice"),
                new SliceCase("unknown address type", s -> s.setAddressType("IPv5"), "unsupported-address-type"),
                new SliceCase("no service-name label", s -> s.getMetadata().setLabels(null), "no-service-name-label"),
                new SliceCase("empty service-name label",
                        s -> s.getMetadata().getLabels().put(SliceEndpoints.SERVICE_NAME_LABEL, ""),
                        "no-service-name-label"),
                new SliceCase("label names another service",
                        s -> s.getMetadata().getLabels().put(SliceEndpoints.SERVICE_NAME_LABEL, "db"), "other-service"),
                new SliceCase("slice in another namespace", s -> s.getMetadata().setNamespace("prod"), "other-service"),
                new SliceCase("endpoint without addresses", s -> s.getEndpoints().get(0).setAddresses(List.of()),
                        "no-address"),
                new SliceCase("endpoint with null addresses", s -> s.getEndpoints().get(0).setAddresses(null),
                        "no-address"),
                new SliceCase("null endpoint", s -> s.getEndpoints().set(0, null), "no-address"),
                new SliceCase("endpoint of the other family",
                        s -> s.getEndpoints().get(0).setAddresses(List.of("2001:db8::5")), "invalid-address"),
                new SliceCase("endpoint with a host name",
                        s -> s.getEndpoints().get(0).setAddresses(List.of("pod.example")), "invalid-address"),
                new SliceCase("slice port 0", s -> s.getPorts().get(0).setPort(0), "invalid-port"),
                new SliceCase("slice port unset", s -> s.getPorts().get(0).setPort(null), "invalid-port"),
                new SliceCase("slice port 65536", s -> s.getPorts().get(0).setPort(65536), "invalid-port"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sliceCases")
    void reportsSliceProblemsAndIgnoresThePart(SliceCase c) {
        EndpointSlice slice = slice("web", "web-abc", "IPv4", slicePort("http", "TCP", 8080),
                endpoint("198.18.2.3", "node-b"));
        c.change().accept(slice);

        Translation t = ServiceTranslator.translate(service("web", "198.18.0.10").build(),
                new ArrayList<>(Arrays.asList(slice)), NODE);

        assertThat(t.entries()).singleElement().satisfies(e -> {
            assertThat(e.internalEndpoints()).isEmpty();
            assertThat(e.totalEndpoints()).isZero();
        });
        assertThat(t.skipped()).extracting(Skip::kind, Skip::name, Skip::reason)
                .containsExactly(tuple("EndpointSlice", "web-abc", c.reason()));
    }
}
