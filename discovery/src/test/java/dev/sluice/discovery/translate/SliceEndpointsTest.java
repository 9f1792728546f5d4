package dev.sluice.discovery.translate;

import static dev.sluice.discovery.translate.K8s.endpoint;
import static dev.sluice.discovery.translate.K8s.port;
import static dev.sluice.discovery.translate.K8s.service;
import static dev.sluice.discovery.translate.K8s.slice;
import static dev.sluice.discovery.translate.K8s.slicePort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.ServiceEntry;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How EndpointSlices become the endpoints of one service port: matching by port name and
 * protocol, address family, {@code addresses[0]}, de-duplication, condition defaults and the
 * endpoint counts. The Service is {@code web}, ClusterIP 198.18.0.10, port {@code http}/TCP 80,
 * on node {@code node-a}.
 */
class SliceEndpointsTest {

    record Case(String name, Supplier<Service> service, List<EndpointSlice> slices, List<String> internal,
            int total, int local) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Service web() {
        return service("web", "198.18.0.10").build();
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("the slice port number is the target port", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                endpoint("198.18.2.3", "node-b"))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("ports match by name and protocol, not by number", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "UDP", 9090), endpoint("198.18.2.3", null)),
                                slice("web", "b", "IPv4", slicePort("metrics", "TCP", 80), endpoint("198.18.2.4", null)),
                                slice("web", "c", "IPv4", slicePort("http", "TCP", 8080), endpoint("198.18.2.5", null))),
                        List.of("198.18.2.5:8080"), 1, 0),
                new Case("an unnamed slice port without protocol matches an unnamed TCP port", () -> {
                    Service s = web();
                    s.getSpec().setPorts(new ArrayList<>(List.of(port(null, null, 80, 0))));
                    return s;
                }, List.of(slice("web", "a", "IPv4", slicePort(null, null, 8080), endpoint("198.18.2.3", null))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("slices are merged and sorted", SliceEndpointsTest::web,
                        List.of(slice("web", "b", "IPv4", slicePort("http", "TCP", 8080), endpoint("198.18.2.9", null)),
                                slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                        endpoint("198.18.2.10", null), endpoint("198.18.2.2", null))),
                        List.of("198.18.2.2:8080", "198.18.2.9:8080", "198.18.2.10:8080"), 3, 0),
                new Case("slices of the other address type are not used for this family", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv6", slicePort("http", "TCP", 8080), endpoint("2001:db8::3", null)),
                                slice("web", "b", "IPv4", slicePort("http", "TCP", 8080), endpoint("198.18.2.3", null))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("only addresses[0] is used", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080), multi("198.18.2.3", "198.18.2.4"))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("the same ip:port across slices counts once, the non-terminating copy wins",
                        SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                        endpoint("198.18.2.3", null, false, true, true)),
                                slice("web", "b", "IPv4", slicePort("http", "TCP", 8080),
                                        endpoint("198.18.2.3", null, true, true, false))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("a terminating duplicate does not replace a ready copy", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                endpoint("198.18.2.3", null, true, true, false),
                                endpoint("198.18.2.3", null, false, false, true),
                                endpoint("198.18.2.4", null, false, false, true))),
                        List.of("198.18.2.3:8080"), 2, 0),
                new Case("unset conditions mean ready", SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                endpoint("198.18.2.3", null, null, null, null))),
                        List.of("198.18.2.3:8080"), 1, 0),
                new Case("unready endpoints are known but get no traffic while others are ready",
                        SliceEndpointsTest::web,
                        List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                endpoint("198.18.2.3", "node-a", false, false, false),
                                endpoint("198.18.2.4", "node-b"))),
                        List.of("198.18.2.4:8080"), 2, 0),
                new Case("local endpoints count distinct ready IPs on this node over all ports", () -> {
                    Service s = web();
                    s.getSpec().getPorts().add(port("admin", "TCP", 81, 0));
                    return s;
                }, List.of(slice("web", "a", "IPv4", slicePort("http", "TCP", 8080),
                                endpoint("198.18.2.3", "node-a"), endpoint("198.18.2.4", "node-a", false, true, true),
                                endpoint("198.18.2.5", "node-b")),
                        slice("web", "b", "IPv4", slicePort("admin", "TCP", 9000), endpoint("198.18.2.3", "node-a"),
                                endpoint("198.18.2.6", "node-a"))),
                        List.of("198.18.2.3:8080", "198.18.2.5:8080"), 3, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void endpointsOfThePort(Case c) {
        Service service = c.service().get();
        String firstPort = Objects.requireNonNullElse(service.getSpec().getPorts().get(0).getName(), "");

        Translation t = ServiceTranslator.translate(service, c.slices(), ServiceSkipTest.NODE);

        ServiceEntry http = t.entries().stream().filter(e -> e.key().port().equals(firstPort)).findFirst()
                .orElseThrow();
        assertThat(http.internalEndpoints()).extracting(Object::toString).containsExactlyElementsOf(c.internal());
        assertThat(http.totalEndpoints()).isEqualTo(c.total());
        assertThat(http.localEndpoints()).isEqualTo(c.local());
        assertThat(t.skipped()).isEmpty();
    }

    @Test
    void anEndpointWithoutAddressIsSkippedAloneAndReportedAsThatEndpoint() {
        Endpoint noAddresses = endpoint("198.18.2.4", "node-a");
        noAddresses.setAddresses(new ArrayList<>());
        Endpoint nullAddresses = endpoint("198.18.2.5", "node-a");
        nullAddresses.setAddresses(null);
        EndpointSlice slice = slice("web", "web-a", "IPv4", slicePort("http", "TCP", 8080),
                endpoint("198.18.2.3", "node-a"), noAddresses, endpoint("198.18.2.6", "node-b"), nullAddresses,
                endpoint("not-an-ip", "node-b"));

        Translation t = ServiceTranslator.translate(web(), List.of(slice), ServiceSkipTest.NODE);

        assertThat(t.entries()).singleElement().satisfies(entry -> {
            assertThat(entry.internalEndpoints()).extracting(Object::toString)
                    .containsExactly("198.18.2.3:8080", "198.18.2.6:8080");
            assertThat(entry.totalEndpoints()).isEqualTo(2);
            assertThat(entry.localEndpoints()).isEqualTo(1);
        });
        assertThat(t.skipped()).containsExactly(
                new Skip("EndpointSlice", "default", "web-a", "no-address", "endpoints[1]"),
                new Skip("EndpointSlice", "default", "web-a", "no-address", "endpoints[3]"),
                new Skip("EndpointSlice", "default", "web-a", "invalid-address", "endpoints[4]"));
    }

    private static Endpoint multi(String... ips) {
        var e = endpoint(ips[0], null);
        e.setAddresses(List.of(ips));
        return e;
    }
}
