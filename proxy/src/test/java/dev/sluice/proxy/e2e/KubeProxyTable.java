package dev.sluice.proxy.e2e;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the real kube-proxy programmed, read from {@code nft -j list table ip kube-proxy}: for
 * every frontend in the maps {@code service-ips}, {@code service-nodeports},
 * {@code no-endpoint-services} and {@code no-endpoint-nodeports}, the endpoints a client from
 * another host reaches. A frontend's chain is followed rule by rule; a rule with a match (source
 * address, {@code fib saddr type local}) is a path for other clients and is passed over; the
 * first unconditional verdict decides: {@code numgen ... vmap} or {@code goto endpoint-...}
 * gives endpoints, {@code goto} another chain follows it, {@code drop} or {@code reject} none.
 * Endpoint chains are named {@code endpoint-HASH-ns/svc/proto/port__IP/PORT}.
 */
final class KubeProxyTable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, List<JsonNode>> rules = new HashMap<>();
    private final Map<String, Set<String>> frontends = new TreeMap<>();

    private KubeProxyTable() {
    }

    /** Keys as {@link Explain#frontendKey} without the type: {@code 198.19.0.10:80/TCP}, {@code :30080/TCP}. */
    static KubeProxyTable parse(String nftJson) {
        KubeProxyTable table = new KubeProxyTable();
        JsonNode root = JSON.readTree(nftJson).get("nftables");
        for (JsonNode item : root) {
            JsonNode rule = item.get("rule");
            if (rule != null) {
                table.rules.computeIfAbsent(rule.get("chain").asString(), k -> new java.util.ArrayList<>()).add(rule.get("expr"));
            }
        }
        for (JsonNode item : root) {
            JsonNode map = item.get("map");
            if (map == null || map.get("elem") == null) {
                continue;
            }
            String name = map.get("name").asString();
            boolean ips = name.equals("service-ips") || name.equals("no-endpoint-services");
            boolean ports = name.equals("service-nodeports") || name.equals("no-endpoint-nodeports");
            if (!ips && !ports) {
                continue;
            }
            for (JsonNode elem : map.get("elem")) {
                JsonNode key = elem.get(0).get("concat");
                String frontend = ips
                        ? key.get(0).asString() + ":" + key.get(2).asInt() + "/" + key.get(1).asString().toUpperCase(Locale.ROOT)
                        : ":" + key.get(1).asInt() + "/" + key.get(0).asString().toUpperCase(Locale.ROOT);
                Set<String> endpoints = name.startsWith("no-endpoint") ? new TreeSet<>() : table.verdict(elem.get(1), 0);
                table.frontends.merge(frontend, endpoints, (a, b) -> {
                    Set<String> union = new TreeSet<>(a);
                    union.addAll(b);
                    return union;
                });
            }
        }
        return table;
    }

    Map<String, Set<String>> frontends() {
        return frontends;
    }

    private Set<String> verdict(JsonNode verdict, int depth) {
        if (depth > 8) {
            throw new IllegalStateException("kube-proxy table: chains nest deeper than 8 at " + verdict);
        }
        JsonNode go = verdict.has("goto") ? verdict.get("goto") : null;
        if (go == null) {
            return new TreeSet<>();  // drop, reject
        }
        String target = go.get("target").asString();
        if (target.startsWith("endpoint-")) {
            return new TreeSet<>(Set.of(endpointOf(target)));
        }
        return chain(target, depth + 1);
    }

    private Set<String> chain(String name, int depth) {
        for (JsonNode expr : rules.getOrDefault(name, List.of())) {
            boolean conditional = false;
            for (JsonNode statement : expr) {
                if (statement.has("match")) {
                    conditional = true;
                }
            }
            if (conditional) {
                continue;
            }
            for (JsonNode statement : expr) {
                if (statement.has("vmap")) {
                    Set<String> endpoints = new TreeSet<>();
                    for (JsonNode pair : statement.get("vmap").get("data").get("set")) {
                        endpoints.addAll(verdict(pair.get(1), depth));
                    }
                    return endpoints;
                }
                if (statement.has("goto")) {
                    return verdict(statement, depth);
                }
                if (statement.has("drop") || statement.has("reject")) {
                    return new TreeSet<>();
                }
            }
        }
        return new TreeSet<>();
    }

    /** {@code endpoint-HASH-ns/svc/tcp/p80__198.18.64.5/8080} to {@code 198.18.64.5:8080}. */
    private static String endpointOf(String chain) {
        String ipPort = chain.substring(chain.lastIndexOf("__") + 2);
        int slash = ipPort.lastIndexOf('/');
        return ipPort.substring(0, slash) + ":" + ipPort.substring(slash + 1);
    }
}
