package dev.sluice.discovery.translate;

import dev.sluice.discovery.translate.ObjectGenerator.Generated;
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
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Breaks generated objects one random field at a time: nulls in every list and field, invalid
 * and mixed-family addresses, out-of-range ports, unknown enums, huge names. Slice labels it
 * writes never name a Service the fuzz test treats as good.
 */
final class Mutator {
    private static final String HUGE = "x".repeat(10_000);
    private static final Integer[] BAD_PORTS = {0, -1, 65536, null, Integer.MIN_VALUE, Integer.MAX_VALUE};
    private static final String[] BAD_IPS = {"", null, "198.18.0.256", "2001:db8::g", "pod.example", "198.18.1",
        "::ffff:198.18.0.1", "2001:db8::1%eth0", "198.18.0.1/32", " 198.18.0.1", HUGE, "::", "0.0.0.0"};
    private static final String[] BAD_WORDS = {"", null, "sctp", "SCTP", "None", "Gateway", "ExternalName", "VIP",
        "Proxy", "Local", "ClientIP", "FQDN", "IPv5", HUGE};

    private final Random random;
    private final ObjectGenerator generator;
    private final List<Consumer<Generated>> mutations = new ArrayList<>();

    Mutator(Random random, ObjectGenerator generator) {
        this.random = random;
        this.generator = generator;
        service(s -> s.setMetadata(null));
        service(s -> meta(s).setName(pick(BAD_WORDS)));
        service(s -> meta(s).setNamespace(pick(BAD_WORDS)));
        service(s -> meta(s).setLabels(map(pick(ProxyLabels.PROXY_NAME_LABEL, ProxyLabels.HEADLESS_LABEL,
                "app"), pick(BAD_WORDS))));
        service(s -> meta(s).setAnnotations(map(pick(PolicyReader.BALANCE_ANNOTATION,
                PolicyReader.MAX_CONNECTIONS_ANNOTATION), pick(BAD_WORDS))));
        service(s -> s.setSpec(null));
        spec(s -> s.setType(pick(BAD_WORDS)));
        spec(s -> s.setClusterIP(pick(BAD_IPS)));
        spec(s -> s.setClusterIPs(list(pick(BAD_IPS), generator.ipv4(0), generator.ipv6(0))));
        spec(s -> s.setClusterIPs(null));
        spec(s -> s.setPorts(null));
        spec(s -> ports(s).add(null));
        spec(s -> ports(s).forEach(p -> {
            if (p != null) {
                p.setPort(pick(BAD_PORTS));
            }
        }));
        spec(s -> ports(s).forEach(p -> {
            if (p != null) {
                p.setProtocol(pick(BAD_WORDS));
            }
        }));
        spec(s -> ports(s).forEach(p -> {
            if (p != null) {
                p.setNodePort(pick(BAD_PORTS));
                p.setName(pick(BAD_WORDS));
            }
        }));
        spec(s -> ports(s).addAll(new ArrayList<>(ports(s))));
        spec(s -> s.setExternalIPs(list(pick(BAD_IPS), generator.ipv6(1), pick(BAD_IPS))));
        spec(s -> s.setLoadBalancerSourceRanges(list(pick(BAD_IPS), "198.19.0.0/16", "::/0", pick(BAD_WORDS))));
        spec(s -> s.setSessionAffinity(pick(BAD_WORDS)));
        spec(s -> s.setSessionAffinityConfig(random.nextBoolean() ? null
                : new SessionAffinityConfig(random.nextBoolean() ? null : new ClientIPConfig(pick(BAD_PORTS)))));
        spec(s -> s.setInternalTrafficPolicy(pick(BAD_WORDS)));
        spec(s -> s.setExternalTrafficPolicy(pick(BAD_WORDS)));
        spec(s -> s.setHealthCheckNodePort(pick(BAD_PORTS)));
        service(s -> s.setStatus(status(random)));
        slices(list -> list.add(null));
        slices(list -> list.add(generator.slice("default", "junk-" + random.nextInt(3), pick(BAD_WORDS),
                List.of(), pick(BAD_WORDS))));
        slice(s -> s.setMetadata(random.nextBoolean() ? null : new ObjectMeta()));
        slice(s -> s.getMetadata().setLabels(map(SliceEndpoints.SERVICE_NAME_LABEL, pick(BAD_WORDS))));
        slice(s -> s.setAddressType(pick(BAD_WORDS)));
        slice(s -> s.setPorts(random.nextBoolean() ? null : list((EndpointPort) null)));
        slice(s -> nonNull(s.getPorts()).forEach(p -> {
            if (p != null) {
                p.setPort(pick(BAD_PORTS));
                p.setProtocol(pick(BAD_WORDS));
                p.setName(pick(BAD_WORDS));
            }
        }));
        slice(s -> s.setEndpoints(random.nextBoolean() ? null : list((Endpoint) null)));
        slice(s -> endpoints(s).forEach(e -> e.setAddresses(random.nextBoolean() ? null
                : list(pick(BAD_IPS), generator.ipv4(2)))));
        slice(s -> endpoints(s).forEach(e -> e.setConditions(random.nextBoolean() ? null
                : new EndpointConditions(null, null, random.nextBoolean() ? null : true))));
        slice(s -> endpoints(s).forEach(e -> e.setHints(random.nextBoolean() ? null
                : new EndpointHints(list(null, null), list(null, new ForZone(null), new ForZone(HUGE))))));
        slice(s -> endpoints(s).forEach(e -> e.setNodeName(pick(BAD_WORDS))));
        slice(s -> {
            if (random.nextInt(4) != 0) {
                return; // a 1,000-endpoint slice in every round would make the test slow, not better
            }
            List<Endpoint> many = new ArrayList<>(endpoints(s));
            for (int i = 0; i < 1000; i++) {
                many.add(generator.endpoint(random.nextBoolean() ? generator.ipv4(2) : generator.ipv6(2), true, true));
            }
            s.setEndpoints(many);
        });
    }

    void mutate(Generated target) {
        mutations.get(random.nextInt(mutations.size())).accept(target);
    }

    private void service(Consumer<Service> change) {
        mutations.add(g -> change.accept(g.service()));
    }

    private void spec(Consumer<ServiceSpec> change) {
        service(s -> {
            if (s.getSpec() == null) {
                s.setSpec(new ServiceSpec());
            }
            change.accept(s.getSpec());
        });
    }

    private void slices(Consumer<List<EndpointSlice>> change) {
        mutations.add(g -> change.accept(g.slices()));
    }

    private void slice(Consumer<EndpointSlice> change) {
        mutations.add(g -> {
            List<EndpointSlice> present = g.slices().stream().filter(s -> s != null && s.getMetadata() != null).toList();
            if (!present.isEmpty()) {
                change.accept(present.get(random.nextInt(present.size())));
            }
        });
    }

    private static ObjectMeta meta(Service s) {
        if (s.getMetadata() == null) {
            s.setMetadata(new ObjectMeta());
        }
        return s.getMetadata();
    }

    private static List<ServicePort> ports(ServiceSpec s) {
        if (s.getPorts() == null) {
            s.setPorts(new ArrayList<>());
        }
        return s.getPorts();
    }

    private static List<Endpoint> endpoints(EndpointSlice s) {
        return s.getEndpoints() == null ? List.of() : s.getEndpoints().stream().filter(e -> e != null).toList();
    }

    private static <T> List<T> nonNull(List<T> list) {
        return list == null ? List.of() : list;
    }

    private ServiceStatus status(Random r) {
        ServiceStatus status = new ServiceStatus();
        if (r.nextBoolean()) {
            LoadBalancerIngress ingress = new LoadBalancerIngress();
            ingress.setIp(pick(BAD_IPS));
            ingress.setIpMode(pick(BAD_WORDS));
            status.setLoadBalancer(new LoadBalancerStatus(list(ingress, null)));
        }
        return status;
    }

    private static Map<String, String> map(String key, String value) {
        Map<String, String> map = new HashMap<>();
        map.put(key, value);
        return map;
    }

    @SafeVarargs
    private static <T> List<T> list(T... values) {
        List<T> list = new ArrayList<>(values.length);
        for (T value : values) {
            list.add(value);
        }
        return list;
    }

    @SafeVarargs
    private <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }
}
