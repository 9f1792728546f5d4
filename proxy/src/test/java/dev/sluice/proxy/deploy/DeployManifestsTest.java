package dev.sluice.proxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.proxy.forward.ServiceSlots;
import dev.sluice.proxy.observe.Metrics;
import dev.sluice.proxy.observe.ServiceSeries;
import dev.sluice.proxy.observe.ServiceSeriesRule;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The shipped manifests under {@code deploy/} parse, grant only reads, and carry what a node proxy needs. */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of(System.getProperty("user.dir")).resolve("../deploy").normalize();
    private static final Map<String, HasMetadata> RESOURCES = new HashMap<>();

    @BeforeAll
    static void parseEveryManifest() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        try (Stream<Path> files = Files.list(DEPLOY)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                if (file.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    HasMetadata resource = serialization.unmarshal(in);
                    RESOURCES.put(file.getFileName().toString(), resource);
                }
            }
        }
    }

    /** Each file is one typed Kubernetes object, none pinned to a namespace, and kustomize lists them all. */
    @Test
    void everyManifestParsesAndKustomizationListsIt() throws IOException {
        assertThat(RESOURCES.get("serviceaccount.yaml")).isInstanceOf(ServiceAccount.class);
        assertThat(RESOURCES.get("clusterrole.yaml")).isInstanceOf(ClusterRole.class);
        assertThat(RESOURCES.get("clusterrolebinding.yaml")).isInstanceOf(ClusterRoleBinding.class);
        assertThat(RESOURCES.get("daemonset.yaml")).isInstanceOf(DaemonSet.class);
        assertThat(RESOURCES.values()).allSatisfy(resource -> assertThat(resource.getMetadata().getNamespace()).isNull());

        JsonNode kustomization = YAMLMapper.builder().build().readTree(DEPLOY.resolve("kustomization.yaml").toFile());
        Set<String> listed = new HashSet<>();
        kustomization.get("resources").forEach(node -> listed.add(node.asString()));
        assertThat(listed).isEqualTo(RESOURCES.keySet());
        assertThat(kustomization.get("namespace").asString()).isNotBlank();
    }

    /** Sluice only reads: get, list and watch on exactly Services, EndpointSlices and Nodes. */
    @Test
    void clusterRoleGrantsOnlyReadsOnWhatSluiceWatches() {
        ClusterRole role = (ClusterRole) RESOURCES.get("clusterrole.yaml");
        Set<String> granted = new TreeSet<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    granted.add(group + "/" + resource);
                }
            }
        }
        assertThat(granted).containsExactly("/nodes", "/services", "discovery.k8s.io/endpointslices");

        ClusterRoleBinding binding = (ClusterRoleBinding) RESOURCES.get("clusterrolebinding.yaml");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(RESOURCES.get("serviceaccount.yaml").getMetadata().getName());
        });
    }

    /** The DaemonSet runs on every node in the host network, knows its node, and is probed like kube-proxy. */
    @Test
    void daemonSetHasTheNodeProxyEssentials() {
        DaemonSet daemonSet = (DaemonSet) RESOURCES.get("daemonset.yaml");
        PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        assertThat(pod.getServiceAccountName()).isEqualTo(RESOURCES.get("serviceaccount.yaml").getMetadata().getName());
        assertThat(pod.getTolerations()).anySatisfy(toleration -> {
            assertThat(toleration.getOperator()).isEqualTo("Exists");
            assertThat(toleration.getKey()).isNull();
            assertThat(toleration.getEffect()).isNull();
        });
        assertThat(daemonSet.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        // Upgrades hand over: the new pod starts beside the old one, which needs no host ports declared.
        assertThat(daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isEqualTo(1);
        assertThat(daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();

        Container container = pod.getContainers().get(0);
        EnvVar nodeName = container.getEnv().stream().filter(env -> env.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertThat(nodeName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        assertThat(container.getArgs()).startsWith("run").contains("--hostname-override=$(NODE_NAME)",
                "--handover-socket=/run/sluice/handover.sock", "--after-handover=wait",
                "--capture=tproxy", "--source-ip=client");
        assertThat(container.getPorts()).isEmpty();

        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/livez");
        assertThat(container.getLivenessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(10256);
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(container.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(10256);

        var security = container.getSecurityContext();
        assertThat(security.getCapabilities().getAdd()).contains("NET_ADMIN");
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getVolumeMounts()).extracting(mount -> mount.getMountPath()).containsExactly("/tmp", "/run/sluice");
        assertThat(pod.getVolumes()).filteredOn(volume -> volume.getHostPath() != null)
                .extracting(volume -> volume.getHostPath().getPath()).containsExactly("/run/sluice");

        Map<String, Quantity> limits = container.getResources().getLimits();
        assertThat(limits).containsKey("memory");
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    }

    /** The dashboard is valid JSON and every metric its queries name is one Sluice exposes. */
    @Test
    void dashboardNamesOnlyExposedMetrics() throws IOException {
        JsonNode dashboard = JsonMapper.builder().build().readTree(DEPLOY.resolve("grafana-dashboard.json").toFile());
        List<String> queries = dashboard.findValues("expr").stream().map(JsonNode::asString).toList();
        assertThat(queries).isNotEmpty();

        Set<String> exposed = exposedFamilies();
        Pattern metric = Pattern.compile("\\b((?:kubeproxy|sluice|jvm|process)_[a-z0-9_]+)");
        Set<String> named = new TreeSet<>();
        for (String query : queries) {
            Matcher matcher = metric.matcher(query);
            while (matcher.find()) {
                named.add(matcher.group(1));
            }
        }
        assertThat(named).isNotEmpty().allSatisfy(name -> assertThat(exposed).as(name).contains(family(name, exposed)));
        assertThat(named).anyMatch(name -> name.startsWith("kubeproxy_")).anyMatch(name -> name.startsWith("sluice_"));
    }

    /** The families a running Sluice exposes: the observe meters fed once, plus the data path's as it names them. */
    private static Set<String> exposedFamilies() {
        try (Metrics metrics = new Metrics(() -> 1L)) {
            metrics.syncObserver().synced(Duration.ofMillis(5), 1, 1);
            metrics.syncObserver().networkProgrammed(Duration.ofSeconds(1));
            metrics.syncObserver().rejected("Service", "invalid-port");
            registerDataPathMeters(metrics);
            Counter.builder("kubeproxy_proxy_healthz_total").tag("code", "200").register(metrics.registry());
            Counter.builder("kubeproxy_proxy_livez_total").tag("code", "200").register(metrics.registry());
            return metrics.scrape().lines()
                    .filter(line -> line.startsWith("# TYPE "))
                    .map(line -> line.split(" ")[2])
                    .collect(Collectors.toSet());
        }
    }

    /** The data path's families as {@code /metrics} serves them, and the listener set's bind-failure counter. */
    private static void registerDataPathMeters(Metrics metrics) {
        metrics.export(new ServiceSeries(new ServiceSlots(), ServiceSeriesRule.DEFAULT));
        Counter.builder("sluice.listeners.bind.failures").register(metrics.registry());
    }

    /** A histogram's series name its family with a suffix. */
    private static String family(String name, Set<String> exposed) {
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (name.endsWith(suffix) && exposed.contains(name.substring(0, name.length() - suffix.length()))) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }
}
