package dev.sluice.discovery.translate;

import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Cuts Services and EndpointSlices down, in place, to what translation and the sync step read,
 * the way client-go transform functions do for kube-proxy's informers: the informer caches then
 * hold a few hundred bytes per object instead of whatever the API server sent
 * ({@code managedFields}, owner references, selectors, target references, every label and
 * annotation...).
 *
 * <p>The contract: {@link ServiceTranslator#translate} gives the same entries and skips for a
 * trimmed object as for the original, and the sync step sees the same name, namespace, resource
 * version, {@code kubernetes.io/service-name} label and
 * {@value #TRIGGER_TIME_ANNOTATION} annotation. Trimming is total (no content makes it throw)
 * and idempotent. It works in place because the informer hands the very instance it stores to
 * its event handlers: a copy would leave the handlers, and so the sync step, with the full one.
 *
 * <p>Besides dropping fields it drops each model object's empty extension map, keeps only
 * {@code addresses[0]} of an endpoint (the only one read), shares one conditions object per
 * combination of values, stores lists as compact immutable copies, and interns the short strings that repeat across objects (namespace, node and zone
 * names, port names, protocols, enum-like values).
 */
public final class LeanObjects {
    /** When the change a slice reflects was triggered; read by the sync step for its latency metric. */
    public static final String TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";

    private static final List<String> SERVICE_LABELS = List.of(ProxyLabels.PROXY_NAME_LABEL,
            ProxyLabels.HEADLESS_LABEL);
    /** Every annotation of Sluice's own: PolicyReader reads several, and new ones must not be lost. */
    private static final String SERVICE_ANNOTATION_PREFIX = "sluice.dev/";
    private static final List<String> SLICE_LABELS = List.of(SliceEndpoints.SERVICE_NAME_LABEL,
            ProxyLabels.PROXY_NAME_LABEL, ProxyLabels.HEADLESS_LABEL);
    private static final List<String> SLICE_ANNOTATIONS = List.of(TRIGGER_TIME_ANNOTATION);
    /** Indexed by ready, serving, terminating, each 0 for unset, 1 for true, 2 for false. */
    private static final EndpointConditions[] CONDITIONS = allConditions();

    private LeanObjects() {
    }

    /** Trims {@code service} in place and returns it; {@code null} stays {@code null}. */
    public static Service service(Service service) {
        if (service == null) {
            return null;
        }
        service.setApiVersion(intern(service.getApiVersion()));
        service.setKind(intern(service.getKind()));
        service.setAdditionalProperties(Map.of());
        meta(service.getMetadata(), SERVICE_LABELS, List.of(), SERVICE_ANNOTATION_PREFIX);
        spec(service.getSpec());
        ServiceStatus status = service.getStatus();
        if (status != null) {
            status.setAdditionalProperties(Map.of());
            status.setConditions(null);
            LoadBalancerStatus lb = status.getLoadBalancer();
            if (lb != null) {
                lb.setAdditionalProperties(Map.of());
                lb.setIngress(compact(lb.getIngress(), LeanObjects::ingress));
            }
        }
        return service;
    }

    /** Trims {@code slice} in place and returns it; {@code null} stays {@code null}. */
    public static EndpointSlice slice(EndpointSlice slice) {
        if (slice == null) {
            return null;
        }
        slice.setApiVersion(intern(slice.getApiVersion()));
        slice.setKind(intern(slice.getKind()));
        slice.setAdditionalProperties(Map.of());
        meta(slice.getMetadata(), SLICE_LABELS, SLICE_ANNOTATIONS, null);
        slice.setAddressType(intern(slice.getAddressType()));
        slice.setPorts(compact(slice.getPorts(), port -> {
            port.setAdditionalProperties(Map.of());
            port.setAppProtocol(null);
            port.setName(intern(port.getName()));
            port.setProtocol(intern(port.getProtocol()));
        }));
        slice.setEndpoints(compact(slice.getEndpoints(), LeanObjects::endpoint));
        return slice;
    }

    private static void meta(ObjectMeta meta, List<String> labels, List<String> annotations,
            String annotationPrefix) {
        if (meta == null) {
            return;
        }
        meta.setAdditionalProperties(Map.of());
        meta.setManagedFields(null);
        meta.setOwnerReferences(null);
        meta.setFinalizers(null);
        meta.setUid(null);
        meta.setSelfLink(null);
        meta.setGenerateName(null);
        meta.setGeneration(null);
        meta.setCreationTimestamp(null);
        meta.setDeletionGracePeriodSeconds(null);
        meta.setNamespace(intern(meta.getNamespace()));
        meta.setLabels(only(meta.getLabels(), labels, null));
        meta.setAnnotations(only(meta.getAnnotations(), annotations, annotationPrefix));
    }

    private static void spec(ServiceSpec spec) {
        if (spec == null) {
            return;
        }
        spec.setAdditionalProperties(Map.of());
        spec.setSelector(null);
        spec.setIpFamilies(null);
        spec.setIpFamilyPolicy(null);
        spec.setAllocateLoadBalancerNodePorts(null);
        spec.setLoadBalancerClass(null);
        spec.setLoadBalancerIP(null);
        spec.setPublishNotReadyAddresses(null);
        spec.setExternalName(null);
        spec.setTrafficDistribution(null);
        spec.setType(intern(spec.getType()));
        spec.setInternalTrafficPolicy(intern(spec.getInternalTrafficPolicy()));
        spec.setExternalTrafficPolicy(intern(spec.getExternalTrafficPolicy()));
        spec.setSessionAffinity(intern(spec.getSessionAffinity()));
        spec.setClusterIPs(compact(spec.getClusterIPs(), ip -> { }));
        spec.setExternalIPs(compact(spec.getExternalIPs(), ip -> { }));
        spec.setLoadBalancerSourceRanges(compact(spec.getLoadBalancerSourceRanges(), range -> { }));
        spec.setPorts(compact(spec.getPorts(), LeanObjects::servicePort));
        SessionAffinityConfig affinity = spec.getSessionAffinityConfig();
        if (affinity != null) {
            affinity.setAdditionalProperties(Map.of());
            ClientIPConfig clientIp = affinity.getClientIP();
            if (clientIp != null) {
                clientIp.setAdditionalProperties(Map.of());
            }
        }
    }

    private static void servicePort(ServicePort port) {
        port.setAdditionalProperties(Map.of());
        port.setAppProtocol(null);
        port.setTargetPort(null);
        port.setName(intern(port.getName()));
        port.setProtocol(intern(port.getProtocol()));
    }

    private static void ingress(LoadBalancerIngress ingress) {
        ingress.setAdditionalProperties(Map.of());
        ingress.setHostname(null);
        ingress.setPorts(null);
        ingress.setIpMode(intern(ingress.getIpMode()));
    }

    private static void endpoint(Endpoint endpoint) {
        endpoint.setAdditionalProperties(Map.of());
        endpoint.setTargetRef(null);
        endpoint.setHostname(null);
        endpoint.setZone(null);
        endpoint.setDeprecatedTopology(null);
        endpoint.setNodeName(intern(endpoint.getNodeName()));
        List<String> addresses = endpoint.getAddresses();
        if (addresses != null && addresses.size() > 1) {
            endpoint.setAddresses(Collections.singletonList(addresses.get(0)));
        } else {
            endpoint.setAddresses(compact(addresses, address -> { }));
        }
        endpoint.setConditions(conditions(endpoint.getConditions()));
        EndpointHints hints = endpoint.getHints();
        if (hints != null) {
            hints.setAdditionalProperties(Map.of());
            hints.setForZones(compact(hints.getForZones(), (ForZone zone) -> {
                zone.setAdditionalProperties(Map.of());
                zone.setName(intern(zone.getName()));
            }));
            hints.setForNodes(compact(hints.getForNodes(), (ForNode node) -> {
                node.setAdditionalProperties(Map.of());
                node.setName(intern(node.getName()));
            }));
        }
    }

    /**
     * One shared instance per combination of the three conditions: almost every endpoint of a
     * cluster has the same three, and nothing changes a cached object after trimming.
     */
    private static EndpointConditions conditions(EndpointConditions conditions) {
        if (conditions == null) {
            return null;
        }
        int index = 9 * state(conditions.getReady()) + 3 * state(conditions.getServing())
                + state(conditions.getTerminating());
        return CONDITIONS[index];
    }

    private static int state(Boolean value) {
        return value == null ? 0 : value ? 1 : 2;
    }

    private static EndpointConditions[] allConditions() {
        Boolean[] values = {null, Boolean.TRUE, Boolean.FALSE};
        EndpointConditions[] all = new EndpointConditions[27];
        for (int i = 0; i < all.length; i++) {
            EndpointConditions conditions = new EndpointConditions(values[i / 9], values[i / 3 % 3], values[i % 3]);
            conditions.setAdditionalProperties(Map.of());
            all[i] = conditions;
        }
        return all;
    }

    /**
     * Trims each non-null element and returns a compact copy: immutable when no element is
     * {@code null}; otherwise a right-sized mutable copy, since translation reports nulls.
     */
    private static <T> List<T> compact(List<T> list, Consumer<T> trim) {
        if (list == null) {
            return null;
        }
        boolean hasNull = false;
        for (T item : list) {
            if (item == null) {
                hasNull = true;
            } else {
                trim.accept(item);
            }
        }
        return hasNull ? new ArrayList<>(list) : List.copyOf(list);
    }

    /**
     * The entries of {@code map} under {@code keys} or, when {@code prefix} is not null, under a
     * key starting with it; {@code null} when none is there.
     */
    private static Map<String, String> only(Map<String, String> map, List<String> keys, String prefix) {
        if (map == null) {
            return null;
        }
        Map<String, String> kept = null;
        for (String key : keys) {
            if (map.containsKey(key)) {
                if (kept == null) {
                    kept = new HashMap<>(4);
                }
                // The constant key, so every object shares it; the value may be null.
                kept.put(key, map.get(key));
            }
        }
        if (prefix != null) {
            for (Map.Entry<String, String> entry : map.entrySet()) {
                if (entry.getKey() != null && entry.getKey().startsWith(prefix)) {
                    if (kept == null) {
                        kept = new HashMap<>(4);
                    }
                    kept.put(entry.getKey().intern(), entry.getValue());
                }
            }
        }
        if (kept == null || kept.size() > 1) {
            return kept;
        }
        Map.Entry<String, String> entry = kept.entrySet().iterator().next();
        return Collections.singletonMap(entry.getKey(), entry.getValue());
    }

    /** Short values that repeat across objects share one copy; the JVM drops unused ones. */
    private static String intern(String value) {
        return value == null ? null : value.intern();
    }
}
