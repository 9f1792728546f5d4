package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sluice explain --kubeconfig} against a real cluster: a Deployment and its Service in
 * K3s. Needs a Docker engine; without one JUnit reports it skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class K3sExplainTest {

    @Container
    static final K3sContainer K3S = new K3sContainer(DockerImageName.parse("rancher/k3s:v1.31.4-k3s1"));

    @TempDir
    Path dir;

    @Test
    void explainShowsTheServiceWithItsReadyPodsAsEndpoints() throws Exception {
        String kubeconfigYaml = K3S.getKubeConfigYaml();
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), kubeconfigYaml);
        try (KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(kubeconfigYaml)).build()) {
            Map<String, String> labels = Map.of("app", "web");
            client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder()
                    .withNewMetadata().withName("web").endMetadata()
                    .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(labels).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                    .withNewSpec().addNewContainer().withName("pause").withImage("registry.k8s.io/pause:3.9")
                    .endContainer().endSpec().endTemplate().endSpec().build()).create();
            Service service = client.services().inNamespace("default").resource(new ServiceBuilder()
                    .withNewMetadata().withName("web").endMetadata()
                    .withNewSpec().withSelector(labels).addNewPort().withName("http").withPort(80)
                    .withNewTargetPort(8080).endPort().endSpec().build()).create();

            List<String> expected = await().atMost(Duration.ofMinutes(3)).until(() -> readyPodEndpoints(client),
                    endpoints -> endpoints.size() == 2);
            String node = client.nodes().list().getItems().get(0).getMetadata().getName();

            // The EndpointSlice controller may trail the pods' readiness: explain until it agrees.
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                ExplainCommandTest.Run run = ExplainCommandTest.run("--kubeconfig", kubeconfig.toString(), "--node", node);
                assertThat(run.exitCode()).as(run.err()).isZero();
                JsonNode web = null;
                for (JsonNode entry : new JsonMapper().readTree(run.out()).get("services")) {
                    if (entry.get("namespace").asString().equals("default") && entry.get("name").asString().equals("web")) {
                        web = entry;
                    }
                }
                assertThat(web).isNotNull();
                assertThat(web.get("frontends").toString()).contains(
                        "{\"type\":\"ClusterIP\",\"address\":\"" + service.getSpec().getClusterIP() + "\",\"port\":80}");
                List<String> internal = new ArrayList<>();
                web.get("internalEndpoints").forEach(e -> internal.add(e.asString()));
                assertThat(internal).containsExactlyInAnyOrderElementsOf(expected);
            });
        }
    }

    private static List<String> readyPodEndpoints(KubernetesClient client) {
        List<String> endpoints = new ArrayList<>();
        for (Pod pod : client.pods().inNamespace("default").withLabel("app", "web").list().getItems()) {
            boolean ready = pod.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            if (ready && pod.getStatus().getPodIP() != null) {
                endpoints.add(pod.getStatus().getPodIP() + ":8080");
            }
        }
        return endpoints;
    }
}
