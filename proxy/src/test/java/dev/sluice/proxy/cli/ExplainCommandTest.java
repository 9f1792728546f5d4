package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** {@code sluice explain} end to end: arguments in, document or one-line error out. */
@EnableKubernetesMockClient(crud = true)
class ExplainCommandTest {
    private static final String WEB = """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: default}
            spec:
              type: NodePort
              clusterIP: 198.18.0.10
              ports: [{name: http, port: 80, nodePort: 30080}]
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: web-1
              namespace: default
              labels: {kubernetes.io/service-name: web}
            addressType: IPv4
            ports: [{name: http, port: 8080}]
            endpoints:
              - addresses: [198.18.2.3]
                nodeName: node-a
            """;

    static KubernetesClient client;

    @TempDir
    Path dir;

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new ExplainCommand());
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        int code = command.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void explainsManifestsAsJson() throws IOException {
        Run run = run("--manifests", file("web.yaml", WEB).toString(), "--node", "node-a",
                "--nodeport-addresses", "198.18.0.0/15,primary");

        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        JsonNode root = new JsonMapper().readTree(run.out());
        assertThat(root.get("node").asString()).isEqualTo("node-a");
        assertThat(root.get("nodePortAddresses").toString()).isEqualTo("[\"198.18.0.0/15\",\"primary\"]");
        JsonNode web = root.get("services").get(0);
        assertThat(web.get("frontends").toString()).isEqualTo("[{\"type\":\"ClusterIP\",\"address\":\"198.18.0.10\","
                + "\"port\":80},{\"type\":\"NodePort\",\"address\":null,\"port\":30080}]");
        assertThat(web.get("externalEndpoints").toString()).isEqualTo("[\"198.18.2.3:8080\"]");
    }

    @Test
    void explainsManifestsAsATable() throws IOException {
        Run run = run("--manifests", file("web.yaml", WEB).toString(), "--node", "node-a", "--output", "table");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("node: node-a   zone: (none)")
                .containsPattern("default/web +http/TCP +IPv4 +ClusterIP 198\\.18\\.0\\.10:80 +198\\.18\\.2\\.3:8080");
    }

    /** kubectl apply -f takes JSON documents between --- lines; so does explain. */
    @Test
    void explainsJsonDocumentsSeparatedByDashes() throws IOException {
        String[] documents = WEB.split("---\n");
        // A tree prints itself as JSON: the same two objects, as JSON documents.
        String json = new YAMLMapper().readTree(documents[0]) + "\n---\n" + new YAMLMapper().readTree(documents[1]) + "\n";
        assertThat(json).startsWith("{\"apiVersion\":\"v1\"");

        Run run = run("--manifests", file("web.json", json).toString(), "--node", "node-a", "--output", "table");

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).containsPattern("default/web +http/TCP +IPv4 +ClusterIP 198\\.18\\.0\\.10:80 +198\\.18\\.2\\.3:8080");
    }

    @Test
    void garbageManifestIsOneLineNamingFileAndDocument() throws IOException {
        Path bad = file("bad.yaml", WEB + "---\nspec: [unclosed\n");

        Run run = run("--manifests", bad.toString(), "--node", "node-a");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("sluice explain: " + bad + ": document 3: ").endsWith("(expected: valid YAML or JSON)"
                + System.lineSeparator()).hasLineCount(1);
    }

    @Test
    void manifestsNeedANode() throws IOException {
        Run run = run("--manifests", file("web.yaml", WEB).toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--node: missing").hasLineCount(1);
    }

    @Test
    void badOptionValuesAreOneLineErrors() throws IOException {
        Path web = file("web.yaml", WEB);

        assertThat(run("--manifests", web.toString(), "--node", "a", "--output", "yaml").err())
                .isEqualTo("sluice explain: --output: \"yaml\" (expected: json or table)" + System.lineSeparator());
        assertThat(run("--manifests", web.toString(), "--node", "a", "--nodeport-addresses", "lan").err())
                .contains("--nodeport-addresses: \"lan\" (expected: CIDRs, or primary)");
        assertThat(run("--manifests", web.toString(), "--kubeconfig", "k", "--node", "a").exitCode()).isEqualTo(1);
    }

    @Test
    void readsALiveClusterWithTheProxySelectorAndTheNodeZone() throws IOException {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a")
                .addToLabels("topology.kubernetes.io/zone", "zone-a").endMetadata().build()).create();
        client.services().inNamespace("default").resource(service("web", null)).create();
        client.services().inNamespace("default").resource(
                service("other-proxy", "service.kubernetes.io/service-proxy-name")).create();
        client.services().inNamespace("default").resource(service("headless", "service.kubernetes.io/headless"))
                .create();
        client.discovery().v1().endpointSlices().inNamespace("default").resource(new EndpointSliceBuilder()
                .withNewMetadata().withName("web-1").addToLabels("kubernetes.io/service-name", "web").endMetadata()
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort()
                .addNewEndpoint().withAddresses("198.18.2.3").withNodeName("node-a").endEndpoint().build()).create();

        Run run = run("--kubeconfig", kubeconfig().toString(), "--node", "node-a");

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        JsonNode root = new JsonMapper().readTree(run.out());
        assertThat(root.get("zone").asString()).isEqualTo("zone-a");
        assertThat(root.get("services")).hasSize(1);
        assertThat(root.get("services").get(0).get("name").asString()).isEqualTo("web");
        assertThat(root.get("services").get(0).get("internalEndpoints").toString()).isEqualTo("[\"198.18.2.3:8080\"]");
    }

    @Test
    void anUnreachableClusterIsOneLineError() throws IOException {
        Path config = file("kubeconfig", kubeconfigFor("https://127.0.0.1:1"));

        Run run = run("--kubeconfig", config.toString(), "--node", "node-a");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("sluice explain: cluster https://127.0.0.1:1/").hasLineCount(1);
    }

    private static Service service(String name, String label) {
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withClusterIP("198.18.0." + (10 + name.length())).addNewPort().withName("http")
                .withPort(80).endPort().endSpec();
        if (label != null) {
            builder.editMetadata().addToLabels(label, "x").endMetadata();
        }
        return builder.build();
    }

    private Path kubeconfig() throws IOException {
        return file("kubeconfig", kubeconfigFor(client.getConfiguration().getMasterUrl()));
    }

    private static String kubeconfigFor(String server) {
        return """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                users: [{name: test, user: {token: test}}]
                contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]
                current-context: test
                """.formatted(server);
    }
}
