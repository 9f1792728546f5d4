package dev.sluice.proxy.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a proxy's admin endpoints over HTTP and the numbers in its Prometheus text. */
final class Admin {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Admin() {
    }

    static HttpResponse<String> send(String method, String url, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> get(String url) {
        return send("GET", url, null);
    }

    static String url(InetSocketAddress address, String path) {
        return "http://" + address.getAddress().getHostAddress() + ":" + address.getPort() + path;
    }

    /** The text of /metrics at {@code address}. */
    static String scrape(InetSocketAddress address) {
        return get(url(address, "/metrics")).body();
    }

    /**
     * The sum of every sample of {@code metric} whose labels contain each {@code label="value"}
     * pair given, 0 when none matches.
     *
     * @throws IllegalStateException when the text has no sample of {@code metric} at all, so a
     *                               misspelt name cannot pass for a zero
     */
    static double sum(String metrics, String metric, String... labels) {
        Pattern sample = Pattern.compile("^" + Pattern.quote(metric) + "(\\{[^}]*})? (\\S+)$", Pattern.MULTILINE);
        double total = 0;
        boolean exported = false;
        Matcher matcher = sample.matcher(metrics);
        while (matcher.find()) {
            exported = true;
            String labelText = matcher.group(1) == null ? "" : matcher.group(1);
            boolean matches = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                matches &= labelText.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (matches) {
                total += Double.parseDouble(matcher.group(2));
            }
        }
        if (!exported) {
            throw new IllegalStateException("metric " + metric + ": not exported");
        }
        return total;
    }
}
