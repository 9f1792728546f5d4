package dev.sluice.proxy.e2e;

import java.util.ArrayList;
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
 * first unconditional verdict decides: a {@code dnat} (to a {@code numgen random} map of
 * endpoints, or to one endpoint in an endpoint chain) gives endpoints, a {@code vmap} or
 * {@code goto} follows the chains it names, {@code drop} or {@code reject} gives none.
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
                table.rules.computeIfAbsent(rule.get("chain").asString(), k -> new ArrayList<>()).add(rule.get("expr"));
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
                JsonNode first = elem.get(0);
                // An element with a comment is wrapped: {"elem": {"val": ..., "comment": ...}}.
                JsonNode key = (first.has("elem") ? first.get("elem").get("val") : first).get("concat");
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
        return chain(target, depth + 1);
    }

    private Set<String> chain(String name, int depth) {
        for (JsonNode expr : rules.getOrDefault(name, List.of())) {
            if (conditional(expr)) {
                continue;
            }
            for (JsonNode statement : expr) {
                if (statement.has("dnat")) {
                    return dnatTargets(statement.get("dnat"));
                }
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

    /** A rule that applies to some packets only: it matches on anything but the protocol its chain is for. */
    private static boolean conditional(JsonNode expr) {
        for (JsonNode statement : expr) {
            JsonNode match = statement.get("match");
            if (match != null && !"l4proto".equals(match.get("left").path("meta").path("key").asString(""))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code dnat ip to numgen random mod N map { 0 : IP . PORT, ... }} (a service or local
     * chain), or {@code dnat ip to IP:PORT} (an endpoint chain, used with session affinity).
     */
    private static Set<String> dnatTargets(JsonNode dnat) {
        Set<String> endpoints = new TreeSet<>();
        JsonNode addr = dnat.get("addr");
        if (addr.has("map")) {
            for (JsonNode pair : addr.get("map").get("data").get("set")) {
                JsonNode target = pair.get(1).get("concat");
                endpoints.add(target.get(0).asString() + ":" + target.get(1).asInt());
            }
        } else if (addr.has("concat")) {
            endpoints.add(addr.get("concat").get(0).asString() + ":" + addr.get("concat").get(1).asInt());
        } else {
            endpoints.add(addr.asString() + ":" + dnat.get("port").asInt());
        }
        return endpoints;
    }
}
