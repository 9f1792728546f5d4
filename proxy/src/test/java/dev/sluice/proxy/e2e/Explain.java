package dev.sluice.proxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sluice explain --kubeconfig} run as its own process from the real jar, and its JSON
 * read back: per frontend ({@code ClusterIP 198.19.0.10:80/TCP}, {@code NodePort :30080/TCP}),
 * the endpoints that frontend's traffic goes to, and the Service it belongs to; and the skipped objects.
 */
record Explain(Map<String, Set<String>> frontends, Map<String, String> owners, List<String> skipped) {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static Explain run(Path kubeconfig, String node, String... extra) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("sluice.jar", "target/sluice.jar")).toAbsolutePath();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "explain",
                "--kubeconfig", kubeconfig.toString(), "--node", node));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("sluice explain failed: " + err);
        }
        return parse(new String(out, StandardCharsets.UTF_8));
    }

    static Explain parse(String json) {
        JsonNode root = JSON.readTree(json);
        Map<String, Set<String>> frontends = new TreeMap<>();
        Map<String, String> owners = new TreeMap<>();
        for (JsonNode service : root.get("services")) {
            String protocol = service.get("protocol").asString();
            Set<String> internal = endpoints(service.get("internalEndpoints"));
            JsonNode externalNode = service.get("externalEndpoints");
            Set<String> external = externalNode == null || externalNode.isNull() ? internal : endpoints(externalNode);
            for (JsonNode frontend : service.get("frontends")) {
                String type = frontend.get("type").asString();
                JsonNode address = frontend.get("address");
                String key = frontendKey(type, address == null || address.isNull() ? "" : address.asString(),
                        frontend.get("port").asInt(), protocol);
                frontends.put(key, "ClusterIP".equals(type) ? internal : external);
                owners.put(key, service.get("namespace").asString() + "/" + service.get("name").asString());
            }
        }
        List<String> skipped = new ArrayList<>();
        for (JsonNode skip : root.get("skipped")) {
            skipped.add(skip.get("kind").asString() + " " + skip.get("namespace").asString() + "/"
                    + skip.get("name").asString() + ": " + skip.get("reason").asString());
        }
        return new Explain(frontends, owners, skipped);
    }

    /** One frontend as both sides name it; node ports have no address (they are served on every node address). */
    static String frontendKey(String type, String address, int port, String protocol) {
        return type + " " + ("NodePort".equals(type) ? "" : address) + ":" + port + "/" + protocol;
    }

    private static Set<String> endpoints(JsonNode array) {
        Set<String> set = new TreeSet<>();
        array.forEach(e -> set.add(e.asString()));
        return set;
    }

    /** The endpoints of the frontend with this key, or an empty set if there is no such frontend. */
    Set<String> of(String key) {
        return frontends.getOrDefault(key, Set.of());
    }
}
