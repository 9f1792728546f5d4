package dev.sluice.discovery.translate;

import static dev.sluice.discovery.translate.K8s.service;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.ServiceEntry;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Which frontends each entry gets, and when the port counts as externally accessible. Each entry
 * is written as {@code "family accessible|internal-only: frontend, ..."}.
 */
class FrontendsTest {

    record Case(String name, Consumer<Service> change, List<String> entries) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("ClusterIP: one frontend per cluster IP and port, not externally accessible", s -> {
                }, List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("clusterIP is the fallback when clusterIPs is empty",
                        s -> s.getSpec().setClusterIPs(null),
                        List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("NodePort: a node port frontend without address", s -> {
                    s.getSpec().setType("NodePort");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, NodePort *:30080")),
                new Case("a node port on a ClusterIP Service is not served", s ->
                        s.getSpec().getPorts().get(0).setNodePort(30080),
                        List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("LoadBalancer without allocated node ports keeps an explicit one", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().setAllocateLoadBalancerNodePorts(false);
                    s.getSpec().getPorts().get(0).setNodePort(30081);
                }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, NodePort *:30081")),
                new Case("LoadBalancer without node port and without ingress is internal only", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().setAllocateLoadBalancerNodePorts(false);
                }, List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("ingress IPs in VIP mode or unset mode, of the family; Proxy mode and host names ignored",
                        s -> {
                            s.getSpec().setType("LoadBalancer");
                            s.setStatus(ingress(lb("198.19.0.7", null), lb("198.19.0.8", "VIP"),
                                    lb("198.19.0.9", "Proxy"), lb(null, null), lb("2001:db8::7", null)));
                        }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, LoadBalancer 198.19.0.7:80, "
                                + "LoadBalancer 198.19.0.8:80")),
                new Case("only Proxy-mode ingress: not externally accessible", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().setAllocateLoadBalancerNodePorts(false);
                    s.setStatus(ingress(lb("198.19.0.9", "Proxy")));
                }, List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("external IPs of the family, repeats once", s ->
                        s.getSpec().setExternalIPs(List.of("198.19.1.4", "2001:db8::4", "198.19.1.4")),
                        List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, ExternalIP 198.19.1.4:80")),
                new Case("external IPs of the other family only: not externally accessible", s ->
                        s.getSpec().setExternalIPs(List.of("2001:db8::4")),
                        List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("dual stack: one entry per family with that family's addresses", s -> {
                    s.getSpec().setClusterIPs(List.of("198.18.0.10", "2001:db8::a"));
                    s.getSpec().setExternalIPs(List.of("2001:db8::4"));
                }, List.of("IPv4 internal-only: ClusterIP 198.18.0.10:80",
                        "IPv6 accessible: ClusterIP [2001:db8::a]:80, ExternalIP [2001:db8::4]:80")),
                new Case("IPv6 single stack", s -> {
                    s.getSpec().setClusterIP("2001:db8::a");
                    s.getSpec().setClusterIPs(List.of("2001:db8::a"));
                }, List.of("IPv6 internal-only: ClusterIP [2001:db8::a]:80")),
                new Case("one entry per port, sorted by port name", s -> {
                    s.getSpec().getPorts().add(K8s.port("dns", "UDP", 53, 0));
                    s.getSpec().getPorts().add(K8s.port("dns", "TCP", 53, 0));
                }, List.of("IPv4 internal-only: ClusterIP 198.18.0.10:53", "IPv4 internal-only: ClusterIP 198.18.0.10:53",
                        "IPv4 internal-only: ClusterIP 198.18.0.10:80")),
                new Case("unreadable source ranges of the family fail closed: no LoadBalancer frontend", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().getPorts().get(0).setNodePort(30080);
                    s.getSpec().setLoadBalancerSourceRanges(List.of("198.19.0.0/40"));
                    s.setStatus(ingress(lb("198.19.0.7", null)));
                }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, NodePort *:30080")),
                new Case("an unreadable IPv6 range closes only the IPv6 LoadBalancer frontends", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().setAllocateLoadBalancerNodePorts(false);
                    s.getSpec().setClusterIPs(List.of("198.18.0.10", "2001:db8::a"));
                    s.getSpec().setLoadBalancerSourceRanges(List.of("198.19.0.0/16", "2001:db8::/129"));
                    s.setStatus(ingress(lb("198.19.0.7", null), lb("2001:db8::7", null)));
                }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, LoadBalancer 198.19.0.7:80",
                        "IPv6 accessible: ClusterIP [2001:db8::a]:80")),
                new Case("one readable range among bad ones still serves the LoadBalancer frontend", s -> {
                    s.getSpec().setType("LoadBalancer");
                    s.getSpec().setAllocateLoadBalancerNodePorts(false);
                    s.getSpec().setLoadBalancerSourceRanges(List.of("junk", "198.19.0.0/16"));
                    s.setStatus(ingress(lb("198.19.0.7", null)));
                }, List.of("IPv4 accessible: ClusterIP 198.18.0.10:80, LoadBalancer 198.19.0.7:80")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void frontends(Case c) {
        Service service = service("web", "198.18.0.10").build();
        c.change().accept(service);

        Translation t = ServiceTranslator.translate(service, List.of(), ServiceSkipTest.NODE);

        assertThat(t.entries()).extracting(FrontendsTest::describe).containsExactlyElementsOf(c.entries());
    }

    static String describe(ServiceEntry entry) {
        List<String> frontends = entry.frontends().stream().map(Object::toString).toList();
        return entry.key().family() + " " + (entry.externalEndpoints() == null ? "internal-only" : "accessible")
                + ": " + String.join(", ", frontends);
    }

    static LoadBalancerIngress lb(String ip, String mode) {
        LoadBalancerIngress ingress = new LoadBalancerIngress();
        ingress.setIp(ip);
        ingress.setIpMode(mode);
        if (ip == null) {
            ingress.setHostname("lb.example");
        }
        return ingress;
    }

    static ServiceStatus ingress(LoadBalancerIngress... ingresses) {
        ServiceStatus status = new ServiceStatus();
        status.setLoadBalancer(new LoadBalancerStatus(
                new ArrayList<>(List.of(ingresses))));
        return status;
    }
}
