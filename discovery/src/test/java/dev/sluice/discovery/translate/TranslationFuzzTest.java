package dev.sluice.discovery.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Frontend;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.translate.ObjectGenerator.Generated;
import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Drives translation with 10,000 generated Services, each paired with a heavily mutated one.
 * Per round: a valid Service A gets one known defect, which must be reported with its reason
 * (and, where the defect cannot matter, leave A's entries unchanged); a broken Service B must
 * never make translation throw; and mixing B's slices into A's changes nothing of A.
 *
 * <p>A failure names the seed; rerun it with {@code -Dsluice.fuzz.seed=<seed>}.
 */
class TranslationFuzzTest {
    private static final int ROUNDS = 10_000;
    private static final Pattern KEBAB = Pattern.compile("[a-z]+(-[a-z]+)*");
    private static final NodeContext NODE = new NodeContext("node-a", "zone-a", Balance.ROUND_ROBIN);

    /** A defect put into a valid Service, and the skip it must cause. */
    record Defect(String kind, String reason, boolean keepsEntries, BiConsumer<Generated, Random> apply) {
    }

    @Test
    void neverThrowsReportsEveryDefectAndKeepsServicesIndependent() {
        long seed = Long.getLong("sluice.fuzz.seed", System.nanoTime());
        Random random = new Random(seed);
        ObjectGenerator generator = new ObjectGenerator(random);
        Mutator mutator = new Mutator(random, generator);
        List<Defect> defects = defects(generator);
        int round = 0;
        try {
            for (; round < ROUNDS; round++) {
                Generated a = generator.service(generator.pick("default", "prod"), "good-" + round);
                Translation clean = translate(a);
                assertThat(clean.skipped()).as("skips of a valid Service").isEmpty();

                Defect defect = defects.get(random.nextInt(defects.size()));
                defect.apply().accept(a, random);
                Translation withDefect = translate(a);
                assertThat(withDefect.skipped()).as("skips after adding a defect").extracting(Skip::kind, Skip::reason)
                        .contains(tuple(defect.kind(), defect.reason()));
                if (defect.keepsEntries()) {
                    assertThat(withDefect.entries()).isEqualTo(clean.entries());
                }

                Generated b = generator.service("default", "bad-" + round);
                int mutations = 1 + random.nextInt(6);
                for (int i = 0; i < mutations; i++) {
                    mutator.mutate(b);
                }
                translate(b);

                List<EndpointSlice> mixed = new ArrayList<>(a.slices());
                mixed.addAll(b.slices());
                Collections.shuffle(mixed, random);
                assertThat(ServiceTranslator.translate(a.service(), mixed, NODE).entries())
                        .as("A's entries with B's slices mixed in").isEqualTo(withDefect.entries());
            }
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("fuzz failed in round " + round + " with seed " + seed
                    + " (rerun with -Dsluice.fuzz.seed=" + seed + ")", e);
        }
    }

    /** Translates and checks what must hold for any input (plain checks: this runs 40,000 times). */
    private static Translation translate(Generated g) {
        Translation t = ServiceTranslator.translate(g.service(), g.slices(), NODE);
        for (Skip skip : t.skipped()) {
            check(skip.kind().equals("Service") || skip.kind().equals("EndpointSlice"), () -> "kind of " + skip);
            check(KEBAB.matcher(skip.reason()).matches() && !skip.reason().equals("translation-failed"),
                    () -> "reason of " + skip);
        }
        Set<Object> keys = new HashSet<>();
        for (int i = 0; i < t.entries().size(); i++) {
            ServiceEntry entry = t.entries().get(i);
            check(keys.add(entry.key()), () -> "unique key " + entry.key());
            check(i == 0 || t.entries().get(i - 1).key().compareTo(entry.key()) < 0,
                    () -> "entries sorted at " + entry.key());
            checkSortedAndDistinct(entry.frontends(), entry.key());
            checkSortedAndDistinct(entry.internalEndpoints(), entry.key());
            check(entry.totalEndpoints() >= entry.internalEndpoints().size(), () -> "total endpoints of " + entry.key());
            for (Frontend frontend : entry.frontends()) {
                check(frontend.address() == null || IpFamily.of(frontend.address()) == entry.key().family(),
                        () -> "family of " + frontend + " in " + entry.key());
            }
            for (Backend backend : entry.internalEndpoints()) {
                check(IpFamily.of(backend.address().getAddress()) == entry.key().family(),
                        () -> "family of " + backend + " in " + entry.key());
            }
        }
        return t;
    }

    private static <T extends Comparable<T>> void checkSortedAndDistinct(List<T> list, Object key) {
        for (int i = 1; i < list.size(); i++) {
            check(list.get(i - 1).compareTo(list.get(i)) < 0, () -> "sorted and distinct " + list + " in " + key);
        }
    }

    private static void check(boolean condition, Supplier<String> what) {
        if (!condition) {
            throw new AssertionError("violated: " + what.get());
        }
    }

    private static List<Defect> defects(ObjectGenerator gen) {
        return List.of(
                new Defect("Service", "unsupported-protocol", true, (g, r) -> g.service().getSpec().getPorts()
                        .add(port("bad-protocol", gen.pick("SCTP", "QUIC", "tcp", ""), 80))),
                new Defect("Service", "invalid-port", true, (g, r) -> g.service().getSpec().getPorts()
                        .add(port("bad-port", "TCP", gen.pick(0, 65536, -1, null, Integer.MIN_VALUE)))),
                new Defect("Service", "invalid-address", true, (g, r) -> {
                    List<String> ips = new ArrayList<>(Arrays.asList("198.18.0.256", "::g", "", "host.example",
                            "198.18.1", "198.18.0.1/24", null, "fe80::1%lo"));
                    List<String> external = g.service().getSpec().getExternalIPs();
                    List<String> withBad = external == null ? new ArrayList<>() : new ArrayList<>(external);
                    withBad.add(ips.get(r.nextInt(ips.size())));
                    g.service().getSpec().setExternalIPs(withBad);
                }),
                new Defect("Service", "invalid-affinity-timeout", false, (g, r) -> {
                    g.service().getSpec().setSessionAffinity("ClientIP");
                    g.service().getSpec().setSessionAffinityConfig(new SessionAffinityConfig(
                            new ClientIPConfig(gen.pick(0, -5, 86401, Integer.MAX_VALUE))));
                }),
                new Defect("Service", "invalid-annotation", true, (g, r) -> {
                    HashMap<String, String> annotations = new HashMap<>();
                    annotations.put(gen.pick(PolicyReader.BALANCE_ANNOTATION, PolicyReader.MAX_CONNECTIONS_ANNOTATION),
                            gen.pick("", "-1", "random", "99999999999", "LEAST"));
                    g.service().getMetadata().setAnnotations(annotations);
                }),
                new Defect("Service", "invalid-source-range", false, (g, r) -> g.service().getSpec()
                        .setLoadBalancerSourceRanges(new ArrayList<>(Arrays.asList(
                                gen.pick("198.19.0.0/33", "junk", "", "2001:db8::/200", null, "198.19.0.0/-1"))))),
                new Defect("EndpointSlice", "fqdn-slice", true, (g, r) -> g.slices().add(
                        slice(gen, g, "FQDN"))),
                new Defect("EndpointSlice", "no-service-name-label", true, (g, r) -> {
                    EndpointSlice s = slice(gen, g, "IPv4");
                    s.getMetadata().setLabels(r.nextBoolean() ? null : new HashMap<>());
                    g.slices().add(s);
                }),
                new Defect("EndpointSlice", "other-service", true, (g, r) -> {
                    EndpointSlice s = slice(gen, g, "IPv6");
                    s.getMetadata().getLabels().put(SliceEndpoints.SERVICE_NAME_LABEL, "someone-else");
                    g.slices().add(s);
                }),
                new Defect("EndpointSlice", "no-address", true, (g, r) -> {
                    EndpointSlice s = slice(gen, g, "IPv4");
                    s.getEndpoints().forEach(e -> e.setAddresses(r.nextBoolean() ? null : new ArrayList<>()));
                    s.getEndpoints().add(null);
                    g.slices().add(s);
                }),
                new Defect("EndpointSlice", "invalid-address", true, (g, r) -> {
                    EndpointSlice s = slice(gen, g, "IPv6");
                    s.getEndpoints().add(gen.endpoint(gen.pick("198.18.3.4", "2001:db8::zz", "pod.example", "",
                            "::ffff:198.18.3.4"), false, false));
                    s.getEndpoints().forEach(e -> e.getAddresses().set(0, "2001:db8:g::1"));
                    g.slices().add(s);
                }),
                new Defect("EndpointSlice", "invalid-port", true, (g, r) -> {
                    EndpointSlice s = slice(gen, g, "IPv4");
                    s.getPorts().forEach(p -> p.setPort(gen.pick(0, null, 65536, -1)));
                    s.getPorts().add(null);
                    g.slices().add(s);
                }));
    }

    private static EndpointSlice slice(ObjectGenerator gen, Generated g, String addressType) {
        var meta = g.service().getMetadata();
        return gen.slice(meta.getNamespace(), meta.getName(), meta.getName() + "-defect", g.service().getSpec().getPorts(),
                addressType);
    }

    private static ServicePort port(String name, String protocol, Integer number) {
        ServicePort port = new ServicePort();
        port.setName(name);
        port.setProtocol(protocol);
        port.setPort(number);
        return port;
    }
}
