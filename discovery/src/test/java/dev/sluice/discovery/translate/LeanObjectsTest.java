package dev.sluice.discovery.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.translate.ObjectGenerator.Generated;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A trimmed object translates exactly as the full one: over the fuzz corpus (valid generated
 * Services dressed up with everything an API server adds, and heavily mutated ones), the entries
 * and the skips are the same, and trimming again changes nothing.
 */
class LeanObjectsTest {
    private static final int ROUNDS = 3_000;
    private static final NodeContext NODE = new NodeContext("node-a", "zone-a", Balance.ROUND_ROBIN);
    private static final KubernetesSerialization JSON = new KubernetesSerialization();
    private static final String[] POLICY_VALUES = {"true", "false", "least-connections", "round-robin", "12", "-1", ""};

    @Test
    void trimmedObjectsTranslateAsTheFullOnes() {
        long seed = Long.getLong("sluice.fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        ObjectGenerator generator = new ObjectGenerator(random);
        Mutator mutator = new Mutator(random, generator);
        for (int round = 0; round < ROUNDS; round++) {
            Generated generated = generator.service(generator.pick("default", "prod"), "svc-" + round);
            dressUp(generated, random);
            int mutations = random.nextInt(3) == 0 ? 1 + random.nextInt(4) : 0;
            for (int i = 0; i < mutations; i++) {
                mutator.mutate(generated);
            }
            Translation full = translate(copy(generated));
            Generated lean = copy(generated);
            trim(lean);
            Translation trimmed = translate(lean);
            assertThat(trimmed.entries()).as("entries, seed %d round %d", seed, round).isEqualTo(full.entries());
            assertThat(trimmed.skipped()).as("skips, seed %d round %d", seed, round).isEqualTo(full.skipped());

            String once = JSON.asJson(lean.service()) + JSON.asJson(lean.slices());
            trim(lean);
            assertThat(JSON.asJson(lean.service()) + JSON.asJson(lean.slices())).as("trimmed twice").isEqualTo(once);
        }
    }

    @Test
    void dropsWhatTranslationDoesNotRead() {
        Generated generated = new ObjectGenerator(new Random(7)).service("default", "web");
        dressUp(generated, new Random(7));
        Map<String, String> annotations = generated.service().getMetadata().getAnnotations();
        annotations.keySet().removeIf(key -> key.startsWith("sluice.dev/"));
        annotations.put(PolicyReader.BALANCE_ANNOTATION, "least-connections");
        EndpointSlice slice = K8s.emptySlice("default", "web", "web-1", "IPv4");
        slice.setMetadata(meta(slice.getMetadata()));
        slice.getMetadata().getAnnotations().put(LeanObjects.TRIGGER_TIME_ANNOTATION, "2026-12-06T01:00:00Z");
        Endpoint endpoint = new ObjectGenerator(new Random(7)).endpoint("198.18.2.1", true, false);
        endpoint.setAddresses(new ArrayList<>(List.of("198.18.2.1", "198.18.2.2")));
        endpoint.setTargetRef(new ObjectReference(null, null, "Pod", "web-1", "default", "1", "uid"));
        slice.setEndpoints(new ArrayList<>(List.of(endpoint)));

        Service service = LeanObjects.service(generated.service());
        LeanObjects.slice(slice);

        ObjectMeta meta = service.getMetadata();
        assertThat(meta.getManagedFields()).isNull();
        assertThat(meta.getOwnerReferences()).isNull();
        assertThat(meta.getUid()).isNull();
        assertThat(meta.getLabels()).isNull();
        assertThat(meta.getAnnotations()).containsOnlyKeys(PolicyReader.BALANCE_ANNOTATION);
        assertThat(meta.getResourceVersion()).isEqualTo("42");
        assertThat(service.getSpec().getSelector()).isNull();
        assertThat(service.getSpec().getPorts()).allSatisfy(p -> assertThat(p.getTargetPort()).isNull());
        assertThat(slice.getMetadata().getLabels()).containsOnlyKeys(SliceEndpoints.SERVICE_NAME_LABEL);
        assertThat(slice.getMetadata().getAnnotations()).containsOnlyKeys(LeanObjects.TRIGGER_TIME_ANNOTATION);
        assertThat(slice.getEndpoints().get(0).getAddresses()).containsExactly("198.18.2.1");
        assertThat(slice.getEndpoints().get(0).getTargetRef()).isNull();
        assertThat(slice.getEndpoints().get(0).getAdditionalProperties()).isEmpty();
    }

    @Test
    void keepsEveryAnnotationPolicyReaderReads() throws IllegalAccessException {
        List<String> read = new ArrayList<>();
        for (Field field : PolicyReader.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_ANNOTATION")) {
                read.add((String) field.get(null));
            }
        }
        Service service = new ObjectGenerator(new Random(3)).service("default", "web").service();
        Map<String, String> annotations = new HashMap<>();
        read.forEach(key -> annotations.put(key, "x"));
        annotations.put("example.com/unread", "x");
        service.getMetadata().setAnnotations(annotations);

        LeanObjects.service(service);

        assertThat(read).hasSizeGreaterThanOrEqualTo(2);
        assertThat(service.getMetadata().getAnnotations()).containsOnlyKeys(read.toArray(String[]::new));
    }

    /** Adds what a real API server sends and translation never reads, and some of what it does. */
    private static void dressUp(Generated generated, Random random) {
        Service service = generated.service();
        service.setMetadata(meta(service.getMetadata()));
        Map<String, String> policy = service.getMetadata().getAnnotations();
        for (String key : List.of(PolicyReader.BALANCE_ANNOTATION, PolicyReader.MAX_CONNECTIONS_ANNOTATION,
                PolicyReader.METRICS_ANNOTATION, PolicyReader.PROXY_PROTOCOL_ANNOTATION)) {
            if (random.nextInt(3) == 0) {
                policy.put(key, POLICY_VALUES[random.nextInt(POLICY_VALUES.length)]);
            }
        }
        service.getSpec().setSelector(new HashMap<>(Map.of("app", "web-" + random.nextInt(100))));
        service.getSpec().setIpFamilyPolicy("SingleStack");
        service.getSpec().getPorts().forEach(p -> p.setAppProtocol("http"));
        for (EndpointSlice slice : generated.slices()) {
            slice.setMetadata(meta(slice.getMetadata()));
            if (random.nextBoolean()) {
                slice.getMetadata().getAnnotations().put(LeanObjects.TRIGGER_TIME_ANNOTATION, "2026-12-06T01:00:00Z");
            }
            for (Endpoint endpoint : slice.getEndpoints()) {
                endpoint.setTargetRef(new ObjectReference(null, null, "Pod", "pod-" + random.nextInt(1000),
                        slice.getMetadata().getNamespace(), null, "uid-" + random.nextInt()));
                endpoint.setZone(zone(random));
                endpoint.setHostname("pod-" + random.nextInt(1000));
                if (random.nextInt(4) == 0) {
                    endpoint.getAddresses().add(endpoint.getAddresses().get(0));
                }
            }
        }
    }

    private static String zone(Random random) {
        return ObjectGenerator.ZONES[random.nextInt(ObjectGenerator.ZONES.length)];
    }

    private static ObjectMeta meta(ObjectMeta meta) {
        ObjectMeta dressed = meta == null ? new ObjectMeta() : meta;
        dressed.setResourceVersion("42");
        dressed.setUid("0b5f0c5e-6b8e-4d8e-9d7a-2f1e3c4d5e6f");
        dressed.setCreationTimestamp("2026-12-06T00:00:00Z");
        dressed.setGeneration(3L);
        ManagedFieldsEntry managed = new ManagedFieldsEntry();
        managed.setManager("kube-controller-manager");
        managed.setOperation("Update");
        dressed.setManagedFields(new ArrayList<>(List.of(managed)));
        dressed.setOwnerReferences(new ArrayList<>(List.of(new OwnerReference("v1", true, true, "Service",
                "owner", "uid"))));
        Map<String, String> labels = dressed.getLabels() == null ? new HashMap<>() : new HashMap<>(dressed.getLabels());
        labels.put("app.kubernetes.io/name", "web");
        labels.put("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
        dressed.setLabels(labels);
        Map<String, String> annotations = dressed.getAnnotations() == null ? new HashMap<>()
                : new HashMap<>(dressed.getAnnotations());
        annotations.put("kubectl.kubernetes.io/last-applied-configuration", "{\"kind\":\"Service\"}");
        dressed.setAnnotations(annotations);
        return dressed;
    }

    private static Generated copy(Generated generated) {
        List<EndpointSlice> slices = new ArrayList<>();
        for (EndpointSlice slice : generated.slices()) {
            slices.add(slice == null ? null : JSON.clone(slice));
        }
        return new Generated(generated.service() == null ? null : JSON.clone(generated.service()), slices);
    }

    private static void trim(Generated generated) {
        LeanObjects.service(generated.service());
        generated.slices().forEach(LeanObjects::slice);
    }

    private static Translation translate(Generated generated) {
        return ServiceTranslator.translate(generated.service(), generated.slices(), NODE);
    }
}
