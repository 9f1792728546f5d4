package dev.sluice.proxy.observe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain HTTP client for loopback admin endpoints. */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private Http() {
    }

    static HttpResponse<String> get(InetSocketAddress address, String path) throws IOException, InterruptedException {
        return send(address, path, "GET");
    }

    static HttpResponse<String> send(InetSocketAddress address, String path, String method)
            throws IOException, InterruptedException {
        URI uri = URI.create("http://" + AdminHttp.describe(address) + path);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
