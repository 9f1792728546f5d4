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

    static Stream<Arguments> garbage() {
        return Stream.of(
                Arguments.of("kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\nkey: [unclosed\n",
                        "bad.yaml: document 2: ", "(expected: valid YAML)"),
                Arguments.of("{\"kind\": \"Service\", ", "bad.yaml: document 1: ", "(expected: valid JSON)"),
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
