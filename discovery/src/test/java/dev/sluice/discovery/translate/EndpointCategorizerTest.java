package dev.sluice.discovery.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.translate.EndpointCategorizer.Categories;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The endpoint choice of kube-proxy's CategorizeEndpoints, one table row per rule. Endpoints are
 * written as {@code "ip flag..."}: {@code unready}, {@code unserving}, {@code terminating},
 * {@code local}, {@code z=zone}, {@code n=node}; conditions default to ready and serving.
 */
class EndpointCategorizerTest {
    private static final String NODE = "node-a";

    record Case(String name, List<String> endpoints, boolean usesCluster, boolean usesLocal, String zone,
            List<String> cluster, List<String> local) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("no endpoints: nothing is used", List.of(), true, true, "a", List.of(), List.of()),
                new Case("cluster: every ready endpoint without hints",
                        List.of("198.18.2.1", "198.18.2.2 local", "198.18.2.3 unready"), true, false, "a",
                        List.of("198.18.2.1", "198.18.2.2"), List.of()),
                new Case("cluster: no ready endpoint falls back to serving and terminating ones",
                        List.of("198.18.2.1 unready terminating", "198.18.2.2 unready unserving terminating",
                                "198.18.2.3 unready"),
                        true, false, "a", List.of("198.18.2.1"), List.of()),
                new Case("cluster: a ready endpoint hides terminating ones",
                        List.of("198.18.2.1 unready terminating", "198.18.2.2"), true, false, "a",
                        List.of("198.18.2.2"), List.of()),
                new Case("cluster: nothing serving leaves the set empty",
                        List.of("198.18.2.1 unready unserving terminating", "198.18.2.2 unready"), true, false,
                        "a", List.of(), List.of()),
                new Case("topology: every ready endpoint node-hinted and one for this node -> PreferSameNode",
                        List.of("198.18.2.1 n=node-a z=a", "198.18.2.2 n=node-b z=a", "198.18.2.3 unready"),
                        true, false, "a", List.of("198.18.2.1"), List.of()),
                new Case("topology: a ready endpoint without node hints disables PreferSameNode, zone applies",
                        List.of("198.18.2.1 n=node-a z=a", "198.18.2.2 z=b", "198.18.2.3 z=a"), true, false, "a",
                        List.of("198.18.2.1", "198.18.2.3"), List.of()),
                new Case("topology: node hints that never name this node fall through to zones",
                        List.of("198.18.2.1 n=node-b z=a", "198.18.2.2 n=node-c z=b"), true, false, "a",
                        List.of("198.18.2.1"), List.of()),
                new Case("topology: an unready endpoint without hints does not disable them",
                        List.of("198.18.2.1 z=a", "198.18.2.2 z=b", "198.18.2.3 unready"), true, false, "a",
                        List.of("198.18.2.1"), List.of()),
                new Case("topology: a ready endpoint without zone hints disables PreferSameZone",
                        List.of("198.18.2.1 z=a", "198.18.2.2"), true, false, "a",
                        List.of("198.18.2.1", "198.18.2.2"), List.of()),
                new Case("topology: no endpoint hinted for this zone -> all ready",
                        List.of("198.18.2.1 z=b", "198.18.2.2 z=c"), true, false, "a",
                        List.of("198.18.2.1", "198.18.2.2"), List.of()),
                new Case("topology: a node without a zone label ignores zone hints",
                        List.of("198.18.2.1 z=a", "198.18.2.2 z=b"), true, false, null,
                        List.of("198.18.2.1", "198.18.2.2"), List.of()),
                new Case("topology: hints of terminating endpoints are not consulted for the fallback",
                        List.of("198.18.2.1 unready terminating z=b", "198.18.2.2 unready terminating z=a"),
                        true, false, "a", List.of("198.18.2.1", "198.18.2.2"), List.of()),
                new Case("local: only local ready endpoints",
                        List.of("198.18.2.1 local", "198.18.2.2", "198.18.2.3 local unready terminating"),
                        false, true, "a", List.of(), List.of("198.18.2.1")),
                new Case("local: no local ready endpoint falls back to local serving-terminating ones",
                        List.of("198.18.2.1", "198.18.2.2 local unready terminating",
                                "198.18.2.3 local unready unserving terminating"),
                        false, true, "a", List.of(), List.of("198.18.2.2")),
                new Case("local: none local leaves the set empty although remote ones are ready",
                        List.of("198.18.2.1", "198.18.2.2"), false, true, "a", List.of(), List.of()),
                new Case("local: topology hints never narrow local endpoints",
                        List.of("198.18.2.1 local z=b", "198.18.2.2 z=a"), true, true, "a",
                        List.of("198.18.2.2"), List.of("198.18.2.1")),
                new Case("both sets computed independently",
                        List.of("198.18.2.1 local", "198.18.2.2"), true, true, "a",
                        List.of("198.18.2.1", "198.18.2.2"), List.of("198.18.2.1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void categorizes(Case c) {
        List<EndpointState> endpoints = c.endpoints().stream().map(EndpointCategorizerTest::endpoint).toList();

        Categories result = EndpointCategorizer.categorize(endpoints, c.usesCluster(), c.usesLocal(), NODE, c.zone());

        assertThat(result.cluster()).extracting(b -> b.address().getAddress().getHostAddress())
                .containsExactlyElementsOf(c.cluster());
        assertThat(result.local()).extracting(b -> b.address().getAddress().getHostAddress())
                .containsExactlyElementsOf(c.local());
    }

    static EndpointState endpoint(String spec) {
        String[] parts = spec.split(" ");
        boolean ready = true;
        boolean serving = true;
        boolean terminating = false;
        boolean local = false;
        Set<String> zones = new HashSet<>();
        Set<String> nodes = new HashSet<>();
        for (String flag : new ArrayList<>(List.of(parts)).subList(1, parts.length)) {
            switch (flag) {
                case "unready" -> ready = false;
                case "unserving" -> serving = false;
                case "terminating" -> terminating = true;
                case "local" -> local = true;
                default -> {
                    if (flag.startsWith("z=")) {
                        zones.add(flag.substring(2));
                    } else if (flag.startsWith("n=")) {
                        nodes.add(flag.substring(2));
                    } else {
                        throw new IllegalArgumentException("flag: " + flag);
                    }
                }
            }
        }
        return new EndpointState(Backend.of(parts[0], 8080), ready, serving, terminating, local, zones, nodes);
    }
}
