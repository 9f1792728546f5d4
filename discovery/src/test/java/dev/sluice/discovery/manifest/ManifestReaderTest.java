package dev.sluice.discovery.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reading manifests: multi-document YAML, lists, JSON, and errors that say where and what. */
class ManifestReaderTest {

    static Path resource(String name) {
        try {
            return Path.of(ManifestReaderTest.class.getResource("/manifests/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsEveryDocumentOfAMultiDocumentFileAndIgnoresOtherKinds() {
        Manifests m = ManifestReader.read(List.of(resource("web.yaml")));

        assertThat(m.services()).extracting(s -> s.getMetadata().getName()).containsExactly("web", "db");
        assertThat(m.slices()).extracting(s -> s.getMetadata().getName()).containsExactly("web-abc12");
        assertThat(m.slices().get(0).getEndpoints().get(0).getAddresses()).containsExactly("198.18.2.3");
        assertThat(m.nodes()).extracting(n -> n.getMetadata().getLabels().get("topology.kubernetes.io/zone"))
                .containsExactly("zone-a");
    }

    @Test
    void aServiceWithoutNamespaceIsInDefault() {
        Manifests m = ManifestReader.read(List.of(resource("web.yaml")));

        assertThat(m.services().get(1).getMetadata().getNamespace()).isEqualTo("default");
    }

    @Test
    void readsTheItemsOfAKubectlList() {
        Manifests m = ManifestReader.read(List.of(resource("list.yaml")));

        assertThat(m.services()).extracting(HasMetadata::getFullResourceName).hasSize(1);
        assertThat(m.services().get(0).getSpec().getPorts()).extracting(p -> p.getProtocol())
                .containsExactly("UDP", "TCP");
        assertThat(m.slices().get(0).getMetadata().getNamespace()).isEqualTo("kube-system");
    }

    @Test
    void readsJsonAndTypedLists() {
        Manifests m = ManifestReader.read(List.of(resource("web.json")));

        assertThat(m.services()).singleElement()
                .satisfies(s -> assertThat(s.getSpec().getClusterIP()).isEqualTo("198.18.0.10"));
    }

    @Test
    void readsSeveralFilesInOrder() {
        Manifests m = ManifestReader.read(List.of(resource("list.yaml"), resource("web.json")));

        assertThat(m.services()).extracting(s -> s.getMetadata().getName()).containsExactly("dns", "web");
    }

    private static final String SERVICE_JSON = """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"clusterIP": "198.18.0.10", "ports": [{"port": 80}]}}""";
    private static final String SLICE_JSON = """
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",\
            "metadata":{"name":"web-1","labels":{"kubernetes.io/service-name":"web"}},\
            "addressType":"IPv4","endpoints":[{"addresses":["198.18.2.3"]}],"ports":[{"port":8080}]}""";
    private static final String LIST_JSON = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [" + SLICE_JSON
            + "]}";

    /** Every form kubectl apply -f takes: a YAML stream whose documents may each be written as JSON. */
    static Stream<Arguments> jsonInAStream() {
        return Stream.of(
                Arguments.of("JSON documents separated by ---", SERVICE_JSON + "\n---\n" + SLICE_JSON + "\n"),
                Arguments.of("a leading --- and a trailing one", "---\n" + SERVICE_JSON + "\n---\n" + SLICE_JSON
                        + "\n---\n"),
                Arguments.of("a JSON document, then YAML", SERVICE_JSON + "\n---\n" + """
                        apiVersion: discovery.k8s.io/v1
                        kind: EndpointSlice
                        metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
                        addressType: IPv4
                        endpoints: [{addresses: [198.18.2.3]}]
                        ports: [{port: 8080}]
                        """),
                Arguments.of("YAML, then a JSON kind: List", """
                        apiVersion: v1
                        kind: Service
                        metadata: {name: web}
                        spec: {clusterIP: 198.18.0.10, ports: [{port: 80}]}
                        ---
                        """ + LIST_JSON),
                Arguments.of("a JSON array of both", "[" + SERVICE_JSON + ",\n" + SLICE_JSON + "]"),
                Arguments.of("JSON indented with tabs, which YAML forbids", "{\n\t\"kind\": \"List\",\n\t\"apiVersion\": "
                        + "\"v1\",\n\t\"items\": [\n\t\t" + SERVICE_JSON + ",\n\t\t" + SLICE_JSON + "\n\t]\n}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jsonInAStream")
    void readsEveryManifestFileAsAYamlStreamWithJsonDocuments(String form, String text) {
        Manifests m = ManifestReader.read("stream.json", text);

        assertThat(m.services()).extracting(s -> s.getSpec().getClusterIP()).containsExactly("198.18.0.10");
        assertThat(m.slices()).singleElement()
                .satisfies(s -> assertThat(s.getEndpoints().get(0).getAddresses()).containsExactly("198.18.2.3"));
    }

    static Stream<Arguments> garbage() {
        return Stream.of(
                Arguments.of("kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nkey: [unclosed\n",
                        "bad.yaml: document 2: ", "(expected: valid YAML or JSON)"),
                Arguments.of("{\"kind\": \"Service\", ", "bad.yaml: document 1: ", "(expected: valid YAML or JSON)"),
                Arguments.of("just a sentence\n", "bad.yaml: document 1: string \"just a sentence\"",
                        "(expected: a Kubernetes object with apiVersion and kind)"),
                Arguments.of("---\nmetadata: {name: x}\n", "bad.yaml: document 1: kind: \"\", apiVersion: \"\"",
                        "(expected: a Kubernetes object with apiVersion and kind)"),
                Arguments.of("apiVersion: v1\nkind: List\nitems:\n- 42\n", "bad.yaml: document 1, item 1: number 42",
                        "(expected: a Kubernetes object with apiVersion and kind)"),
                Arguments.of("apiVersion: v1\nkind: List\nitems: {}\n", "bad.yaml: document 1: items: object {}",
                        "(expected: a list of objects)"),
                Arguments.of("apiVersion: discovery.k8s.io/v1beta1\nkind: EndpointSlice\n",
                        "bad.yaml: document 1: EndpointSlice apiVersion: \"discovery.k8s.io/v1beta1\"",
                        "(expected: discovery.k8s.io/v1)"),
                Arguments.of("apiVersion: v1\nkind: Service\nspec: [1, 2]\n", "bad.yaml: document 1: Service: ",
                        "(expected: a valid v1 Service)"));
    }

    @ParameterizedTest
    @MethodSource("garbage")
    void garbageNamesTheFileTheDocumentAndWhatWasExpected(String text, String start, String end) {
        assertThatThrownBy(() -> ManifestReader.read("bad.yaml", text))
                .isInstanceOf(ManifestException.class)
                .message().startsWith(start).endsWith(end).doesNotContain("\n");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = Path.of("does-not-exist.yaml");

        assertThatThrownBy(() -> ManifestReader.read(List.of(missing)))
                .isInstanceOf(ManifestException.class)
                .hasMessageStartingWith("does-not-exist.yaml: cannot be read")
                .hasMessageEndingWith("(expected: a readable YAML or JSON file)");
    }
}
