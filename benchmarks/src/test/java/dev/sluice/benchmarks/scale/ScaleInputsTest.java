package dev.sluice.benchmarks.scale;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.file.StaticConfig;
import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.translate.LeanObjects;
import dev.sluice.discovery.translate.NodeContext;
import dev.sluice.discovery.translate.ServiceTranslator;
import dev.sluice.discovery.translate.Translation;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scale benchmark's inputs are what scale.sh and its README say: sizes, shapes, probe services, paging. */
class ScaleInputsTest {
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final NodeContext NODE = new NodeContext(ScaleObjects.NODE, null, Balance.ROUND_ROBIN);

    @Test
    void generatedObjectsCarryAnApiServersMetadataAndTranslateToOneEntryOfTenEndpoints() {
        Service service = JSON.unmarshal(ScaleObjects.service(41, 7), Service.class);
        EndpointSlice slice = JSON.unmarshal(ScaleObjects.slice(41, 10, null, 7), EndpointSlice.class);

        assertThat(service.getMetadata().getManagedFields()).hasSize(1);
        assertThat(service.getMetadata().getAnnotations()).containsKey("kubectl.kubernetes.io/last-applied-configuration");
        assertThat(slice.getMetadata().getOwnerReferences()).hasSize(1);
        assertThat(slice.getEndpoints()).hasSize(10).allSatisfy(e -> assertThat(e.getTargetRef()).isNotNull());

        Translation full = ServiceTranslator.translate(service, List.of(slice), NODE);
        assertThat(full.skipped()).isEmpty();
        assertThat(full.entries()).singleElement().satisfies(entry -> {
            assertThat(entry.frontends().get(0).address().getHostAddress()).isEqualTo(ScaleObjects.clusterIp(41));
            assertThat(entry.internalEndpoints()).hasSize(10);
        });
        Translation lean = ServiceTranslator.translate(LeanObjects.service(service), List.of(LeanObjects.slice(slice)),
                NODE);
        assertThat(lean).isEqualTo(full);
    }

    @Test
    void fiftyThousandServicesHaveDistinctClusterIpsAndDistinctEndpoints() {
        Set<String> clusterIps = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (int i = 0; i < 50_000; i++) {
            clusterIps.add(ScaleObjects.clusterIp(i));
            for (int e = 0; e < 10; e++) {
                long pod = i * 10L + e;
                endpoints.add(ScaleObjects.podAddress(pod) + ":" + ScaleObjects.podPort(pod));
            }
        }
        assertThat(clusterIps).hasSize(50_000).noneMatch(ip -> ip.startsWith("198.18.254."));
        assertThat(endpoints).hasSize(500_000);
    }

    @Test
    void standaloneConfigHasThreeBackendsPerServiceAndTheChangeMovesOnlyTheFirstProbe() {
        StaticConfig before = StaticConfig.parse("scale.yaml", ScaleRig.standalone(1_000, false)
                .getBytes(StandardCharsets.UTF_8));
        StaticConfig after = StaticConfig.parse("scale.yaml", ScaleRig.standalone(1_000, true)
                .getBytes(StandardCharsets.UTF_8));

        assertThat(before.services()).hasSize(1_000).allSatisfy(entry -> {
            assertThat(entry.frontends()).hasSize(1);
            assertThat(entry.internalEndpoints()).hasSize(3);
        });
        assertThat(endpoints(before, "s-0")).containsExactlyInAnyOrderElementsOf(backends(ScaleRig.BACKENDS_A));
        assertThat(endpoints(before, "s-999")).containsExactlyInAnyOrderElementsOf(backends(ScaleRig.BACKENDS_A));
        assertThat(endpoints(after, "s-0")).containsExactlyInAnyOrderElementsOf(backends(ScaleRig.BACKENDS_B));
        Map<String, ServiceEntry> changed = new java.util.HashMap<>();
        after.services().forEach(e -> changed.put(e.key().serviceName(), e));
        assertThat(before.services()).filteredOn(e -> !changed.get(e.key().serviceName()).equals(e))
                .extracting(e -> e.key().serviceName()).containsExactly("s-0");
    }

    @Test
    void listsArePagedWithContinueTokensAndCoverEveryObjectOnce() throws Exception {
        try (ListWatchServer server = new ListWatchServer(new InetSocketAddress("127.0.0.1", 0), 1_234, 10)) {
            HttpClient client = HttpClient.newHttpClient();
            Set<String> names = new HashSet<>();
            String token = null;
            int pages = 0;
            do {
                String uri = "http://127.0.0.1:" + server.port() + "/apis/discovery.k8s.io/v1/endpointslices?limit=500"
                        + (token == null ? "" : "&continue=" + token);
                String body = client.send(HttpRequest.newBuilder(URI.create(uri)).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList page =
                        JSON.unmarshal(body, io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceList.class);
                page.getItems().forEach(s -> names.add(s.getMetadata().getName()));
                token = page.getMetadata().getContinue();
                pages++;
            } while (token != null && !token.isEmpty());
            assertThat(pages).isEqualTo(3);
            assertThat(names).hasSize(1_234).contains("svc-0-x1", "svc-1233-x1");
        }
    }

    private static List<Backend> endpoints(StaticConfig config, String name) {
        return config.services().stream().filter(e -> e.key().serviceName().equals(name)).findFirst().orElseThrow()
                .internalEndpoints();
    }

    private static List<Backend> backends(String[] addresses) {
        return java.util.Arrays.stream(addresses).map(Backend::parse).toList();
    }
}
