package dev.sluice.discovery.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.manifest.ManifestReader;
import dev.sluice.discovery.manifest.Manifests;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The document {@code sluice explain} prints, built from manifests. */
class ExplanationTest {
    private static final JsonMapper JSON = new JsonMapper();

    static Manifests manifests(String... names) {
        List<Path> paths = new ArrayList<>();
        for (String name : names) {
            try {
                paths.add(Path.of(ExplanationTest.class.getResource("/manifests/" + name).toURI()));
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        return ManifestReader.read(paths);
    }

    static Explanation explain(Manifests m, List<String> nodePortAddresses) {
        return Explanation.explain(m.services(), m.slices(), m.nodes(), "node-a", nodePortAddresses);
    }

    @Test
    void jsonHasTheDocumentedShape() {
        String json = explain(manifests("web.yaml"), null).toJson();

        assertThat(JSON.readTree(json)).isEqualTo(JSON.readTree("""
                {"node": "node-a", "zone": "zone-a",
                 "services": [
                  {"namespace": "default", "name": "web", "port": "http", "protocol": "TCP", "family": "IPv4",
                   "frontends": [{"type": "ClusterIP", "address": "198.18.0.10", "port": 80},
                                 {"type": "NodePort", "address": null, "port": 30080},
                                 {"type": "LoadBalancer", "address": "198.19.0.7", "port": 80},
                                 {"type": "ExternalIP", "address": "198.19.1.4", "port": 80}],
                   "internalEndpoints": ["198.18.2.3:8080"],
                   "externalEndpoints": ["198.18.2.3:8080"],
                   "sessionAffinity": {"type": "ClientIP", "timeoutSeconds": 10800}}],
                 "skipped": [{"kind": "Service", "namespace": "default", "name": "db", "reason": "headless"}]}
                """));
    }

    @Test
    void nodePortAddressesAreEchoedWhenGiven() {
        JsonNode root = JSON.readTree(explain(manifests("web.yaml"), List.of("198.18.0.0/15", "primary")).toJson());

        assertThat(root.get("nodePortAddresses").toString()).isEqualTo("[\"198.18.0.0/15\",\"primary\"]");
    }

    @Test
    void internalOnlyPortsHaveNullExternalEndpointsAndNoAffinity() {
        JsonNode root = JSON.readTree(explain(manifests("list.yaml"), null).toJson());

        assertThat(root.get("zone").isNull()).isTrue();
        assertThat(root.get("services")).hasSize(2);
        JsonNode dns = root.get("services").get(0);
        assertThat(dns.get("port").asString()).isEqualTo("dns");
        assertThat(dns.get("protocol").asString()).isEqualTo("UDP");
        assertThat(dns.get("internalEndpoints").toString()).isEqualTo("[\"198.18.3.1:5353\"]");
        assertThat(dns.get("externalEndpoints").isNull()).isTrue();
        assertThat(dns.get("sessionAffinity").isNull()).isTrue();
    }

    @Test
    void slicesWithoutTheirServiceAndRepeatedServicesAreReported() {
        Manifests dns = manifests("list.yaml");
        List<Service> services = List.of(dns.services().get(0), dns.services().get(0));
        EndpointSlice orphan = K8s.slice("gone", "gone-1", "IPv4", K8s.slicePort("", "TCP", 80));
        orphan.getMetadata().setNamespace("kube-system");

        Explanation e = Explanation.explain(services, List.of(dns.slices().get(0), orphan), List.of(), "node-a", null);

        assertThat(e.skipped()).containsExactly(
                new Skip("EndpointSlice", "kube-system", "gone-1", "no-service"),
                new Skip("Service", "kube-system", "dns", "duplicate-service"));
        assertThat(e.entries()).hasSize(2);
    }

    @Test
    void objectsTheInformersFilterAtTheApiAreFilteredAndListedWithTheReason() {
        Service web = K8s.service("web", "198.18.0.10").build();
        Service elsewhere = K8s.service("elsewhere", "198.18.0.11").build();
        elsewhere.getMetadata().setLabels(new HashMap<>(Map.of("service.kubernetes.io/service-proxy-name", "")));
        EndpointSlice served = K8s.slice("web", "web-a", "IPv4", K8s.slicePort("http", "TCP", 8080),
                K8s.endpoint("198.18.2.3", null));
        EndpointSlice headless = K8s.slice("web", "web-b", "IPv4", K8s.slicePort("http", "TCP", 8080),
                K8s.endpoint("198.18.2.4", null));
        headless.getMetadata().getLabels().put("service.kubernetes.io/headless", "");
        EndpointSlice otherProxy = K8s.slice("web", "web-c", "IPv4", K8s.slicePort("http", "TCP", 8080),
                K8s.endpoint("198.18.2.5", null));
        otherProxy.getMetadata().getLabels().put("service.kubernetes.io/service-proxy-name", "other-proxy");

        Explanation e = Explanation.explain(List.of(web, elsewhere), List.of(served, headless, otherProxy), List.of(),
                "node-a", null);

        assertThat(e.entries()).singleElement().satisfies(entry -> assertThat(entry.internalEndpoints())
                .extracting(Object::toString).containsExactly("198.18.2.3:8080"));
        assertThat(e.skipped()).containsExactly(
                new Skip("EndpointSlice", "default", "web-b", "headless"),
                new Skip("EndpointSlice", "default", "web-c", "service-proxy-name"),
                new Skip("Service", "default", "elsewhere", "service-proxy-name"));
    }

    @Test
    void anEndpointLeftOutIsNamedInTheJsonAndTheTable() {
        EndpointSlice slice = K8s.slice("web", "web-a", "IPv4", K8s.slicePort("http", "TCP", 8080),
                K8s.endpoint("198.18.2.3", null), K8s.endpoint("198.18.2.4", null));
        slice.getEndpoints().get(0).setAddresses(List.of());

        Explanation e = Explanation.explain(List.of(K8s.service("web", "198.18.0.10").build()), List.of(slice),
                List.of(), "node-a", null);

        assertThat(JSON.readTree(e.toJson()).get("skipped")).isEqualTo(JSON.readTree("""
                [{"kind": "EndpointSlice", "namespace": "default", "name": "web-a", "part": "endpoints[0]",
                  "reason": "no-address"}]"""));
        assertThat(e.toTable()).contains("198.18.2.4:8080").endsWith(
                "SKIPPED\nEndpointSlice default/web-a endpoints[0]: no-address\n");
    }

    /** The README shows this output for the example: it must be what explain really prints. */
    @Test
    void theReadmeShowsTheRealTableOfTheDualStackExample() throws IOException {
        Manifests example = ManifestReader.read(List.of(Path.of("../examples/manifests/dual-stack.yaml")));
        String readme = Files.readString(Path.of("../README.md"));

        String table = Explanation.explain(example.services(), example.slices(), example.nodes(), "node-a", null)
                .toTable();

        assertThat(table).contains("ClusterIP [fd00::6]:80", "[fd00:1::3]:8080", "[fd00:1::4]:8080",
                "EndpointSlice shop/web-mirror: headless", "EndpointSlice shop/web-v6 endpoints[1]: no-address");
        assertThat(readme).contains("$ bin/sluice explain --manifests examples/manifests/dual-stack.yaml"
                + " --node node-a --output table\n" + table + "```\n");
    }

    @Test
    void aBrokenServiceDoesNotChangeTheEntriesOfOthers() {
        Manifests good = manifests("web.yaml", "list.yaml");
        Service broken = K8s.service("broken", "198.18.0.99").build();
        broken.getSpec().getPorts().get(0).setPort(-1);
        broken.getSpec().setExternalIPs(List.of("not-an-ip"));
        EndpointSlice brokenSlice = K8s.slice("broken", "broken-1", "FQDN", K8s.slicePort("http", null, 0));
        List<Service> services = new ArrayList<>(good.services());
        services.add(0, broken);
        List<EndpointSlice> slices = new ArrayList<>(good.slices());
        slices.add(0, brokenSlice);

        Explanation alone = explain(good, null);
        Explanation mixed = Explanation.explain(services, slices, good.nodes(), "node-a", null);

        assertThat(mixed.entries()).isEqualTo(alone.entries());
        assertThat(mixed.skipped()).extracting(Skip::name).contains("broken", "broken-1");
    }

    @Test
    void tableShowsOneRowPerEntryContinuedForEachFrontend() {
        String table = explain(manifests("web.yaml"), null).toTable();

        assertThat(table).startsWith("node: node-a   zone: zone-a\n");
        assertThat(table).containsPattern("default/web +http/TCP +IPv4 +ClusterIP 198\\.18\\.0\\.10:80 +198\\.18\\.2\\.3:8080");
        assertThat(table).containsPattern("\n +NodePort \\*:30080");
        assertThat(table).contains("affinity ClientIP 10800s");
        assertThat(table).contains("Service default/db: headless");
    }
}
