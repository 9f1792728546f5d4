package dev.sluice.proxy.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The etcd of {@code test/k8s/up}, spoken to through its gRPC gateway (JSON over HTTP on the
 * client port): to move the store's revision without the API server, and to compact it, which
 * is what makes a watch from an older resourceVersion end in 410 Gone.
 */
final class EtcdGateway {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final HttpClient http = HttpClient.newHttpClient();
    private final URI base;

    EtcdGateway(int port) {
        this.base = URI.create("http://127.0.0.1:" + port + "/v3/");
    }

    /** Writes {@code key} (outside every prefix kube-apiserver uses); returns the new revision. */
    long put(String key, String value) throws IOException, InterruptedException {
        return revisionOf(post("kv/put", "{\"key\":\"" + base64(key) + "\",\"value\":\"" + base64(value) + "\"}"));
    }

    /** The store's current revision. */
    long revision() throws IOException, InterruptedException {
        return revisionOf(post("kv/range", "{\"key\":\"" + base64("\0") + "\"}"));
    }

    /** Compacts (physically) at the current revision; returns it. */
    long compact() throws IOException, InterruptedException {
        long revision = revision();
        post("kv/compaction", "{\"revision\":\"" + revision + "\",\"physical\":true}");
        return revision;
    }

    private JsonNode post(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("etcd " + path + " " + body + ": " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    private static long revisionOf(JsonNode answer) {
        return Long.parseLong(answer.path("header").path("revision").asString());
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
