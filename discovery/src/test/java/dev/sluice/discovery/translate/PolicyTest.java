package dev.sluice.discovery.translate;

import static dev.sluice.discovery.translate.K8s.endpoint;
import static dev.sluice.discovery.translate.K8s.service;
import static dev.sluice.discovery.translate.K8s.slice;
import static dev.sluice.discovery.translate.K8s.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.ProxyProtocol;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.SessionAffinity;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Traffic policies (which endpoint set each kind of traffic uses) and the per-entry policy
 * fields. Endpoints: 198.18.2.1 on this node, 198.18.2.2 on another node.
 */
class PolicyTest {
    private static final List<EndpointSlice> SLICES = List.of(slice("web", "web-a", "IPv4",
            slicePort("http", "TCP", 8080), endpoint("198.18.2.1", "node-a"), endpoint("198.18.2.2", "node-b")));
    private static final String BOTH = "198.18.2.1:8080,198.18.2.2:8080";
    private static final String LOCAL = "198.18.2.1:8080";

    record Case(String name, Consumer<Service> change, String internal, String external,
            Predicate<ServicePolicy> policy) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("defaults: cluster endpoints, no external set, default policy", s -> {
                }, BOTH, null, p -> p.equals(ServicePolicy.DEFAULT)),
                new Case("internalTrafficPolicy Local: ClusterIP uses local endpoints",
                        s -> s.getSpec().setInternalTrafficPolicy("Local"), LOCAL, null, ServicePolicy::internalLocal),
                new Case("externalTrafficPolicy Local on NodePort: external uses local, internal cluster", s -> {
                    s.getSpec().setType("NodePort");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setExternalTrafficPolicy("Local");
                }, BOTH, LOCAL, p -> p.externalLocal() && p.healthCheckNodePort() == 0),
                new Case("both Local on NodePort", s -> {
                    s.getSpec().setType("NodePort");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setExternalTrafficPolicy("Local");
                    s.getSpec().setInternalTrafficPolicy("Local");
                }, LOCAL, LOCAL, p -> p.externalLocal() && p.internalLocal()),
                new Case("externalTrafficPolicy Cluster on NodePort: both sets are cluster", s -> {
                    s.getSpec().setType("NodePort");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setExternalTrafficPolicy("Cluster");
                }, BOTH, BOTH, p -> !p.externalLocal()),
                new Case("externalTrafficPolicy Local on a plain ClusterIP Service means nothing",
                        s -> s.getSpec().setExternalTrafficPolicy("Local"), BOTH, null, p -> !p.externalLocal()),
                new Case("externalTrafficPolicy Local applies to external IPs of a ClusterIP Service", s -> {
                    s.getSpec().setExternalIPs(List.of("198.19.1.4"));
                    s.getSpec().setExternalTrafficPolicy("Local");
                }, BOTH, LOCAL, ServicePolicy::externalLocal),
                new Case("LoadBalancer with externalTrafficPolicy Local has a health-check node port", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setExternalTrafficPolicy("Local");
                    s.getSpec().setHealthCheckNodePort(32000);
                }, BOTH, LOCAL, p -> p.healthCheckNodePort() == 32000),
                new Case("LoadBalancer with Cluster policy has none", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setHealthCheckNodePort(32000);
                }, BOTH, BOTH, p -> p.healthCheckNodePort() == 0),
                new Case("ClientIP affinity without a config uses 10800 s",
                        s -> s.getSpec().setSessionAffinity("ClientIP"), BOTH, null,
                        p -> p.affinity().equals(new SessionAffinity(10800))),
                new Case("ClientIP affinity with a timeout", s -> {
                    s.getSpec().setSessionAffinity("ClientIP");
                    s.getSpec().setSessionAffinityConfig(new SessionAffinityConfig(new ClientIPConfig(60)));
                }, BOTH, null, p -> p.affinity().equals(new SessionAffinity(60))),
                new Case("affinity None", s -> s.getSpec().setSessionAffinity("None"), BOTH, null,
                        p -> p.affinity() == null),
                new Case("source ranges are filtered to the family", s -> s.getSpec().setLoadBalancerSourceRanges(
                        List.of(" 198.19.0.0/16 ", "2001:db8::/32", "198.18.5.0/24")), BOTH, null,
                        p -> p.sourceRanges().toString().equals("[198.19.0.0/16, 198.18.5.0/24]")),
                new Case("0.0.0.0/0 among the ranges allows all", s -> s.getSpec().setLoadBalancerSourceRanges(
                        List.of("198.19.0.0/16", "0.0.0.0/0")), BOTH, null, p -> p.sourceRanges().isEmpty()),
                new Case("balance annotation least-connections",
                        s -> annotate(s, PolicyReader.BALANCE_ANNOTATION, "least-connections"), BOTH, null,
                        p -> p.balance() == Balance.LEAST_CONNECTIONS),
                new Case("balance annotation round-robin",
                        s -> annotate(s, PolicyReader.BALANCE_ANNOTATION, "round-robin"), BOTH, null,
                        p -> p.balance() == Balance.ROUND_ROBIN),
                new Case("max-connections annotation",
                        s -> annotate(s, PolicyReader.MAX_CONNECTIONS_ANNOTATION, "250"), BOTH, null,
                        p -> p.maxConnections() == 250),
                new Case("metrics annotation asks for the service's own series",
                        s -> annotate(s, PolicyReader.METRICS_ANNOTATION, "true"), BOTH, null, p -> p.metrics()),
                new Case("without the metrics annotation the service has no series of its own",
                        s -> { }, BOTH, null, p -> !p.metrics()),
                new Case("proxy-protocol annotation v1",
                        s -> annotate(s, PolicyReader.PROXY_PROTOCOL_ANNOTATION, "v1"), BOTH, null,
                        p -> p.proxyProtocol() == ProxyProtocol.V1),
                new Case("proxy-protocol annotation v2",
                        s -> annotate(s, PolicyReader.PROXY_PROTOCOL_ANNOTATION, "v2"), BOTH, null,
                        p -> p.proxyProtocol() == ProxyProtocol.V2),
                new Case("no proxy-protocol annotation: no header",
                        s -> { }, BOTH, null, p -> p.proxyProtocol() == ProxyProtocol.NONE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void policy(Case c) {
        Service service = service("web", "198.18.0.10").build();
        c.change().accept(service);

        Translation t = ServiceTranslator.translate(service, SLICES, ServiceSkipTest.NODE);

        ServiceEntry entry = t.entries().get(0);
        assertThat(join(entry.internalEndpoints())).isEqualTo(c.internal());
        assertThat(entry.externalEndpoints() == null ? null : join(entry.externalEndpoints())).isEqualTo(c.external());
        assertThat(entry.policy()).matches(c.policy());
        assertThat(entry.localEndpoints()).isEqualTo(1);
        assertThat(entry.totalEndpoints()).isEqualTo(2);
    }

    @ParameterizedTest(name = "node default {0} applies without annotation")
    @EnumSource(Balance.class)
    void nodeDefaultBalance(Balance balance) {
        Translation t = ServiceTranslator.translate(service("web", "198.18.0.10").build(), SLICES,
                new NodeContext("node-a", null, balance));

        assertThat(t.entries().get(0).policy().balance()).isEqualTo(balance);
    }

    private static void annotate(Service s, String key, String value) {
        Map<String, String> annotations = new HashMap<>();
        annotations.put(key, value);
        s.getMetadata().setAnnotations(annotations);
    }

    private static String join(List<?> list) {
        return String.join(",", list.stream().map(Object::toString).toList());
    }
}
