package dev.sluice.proxy.cli;

import dev.sluice.discovery.translate.Explanation;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches the {@code /status} document of a running proxy for {@code sluice explain --status}
 * and renders it for people. Every failure is an {@link IllegalArgumentException} whose message
 * is one line naming the URL and what was expected.
 */
final class StatusClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final String EXPECTED_RUNNING = "(expected: a running sluice with --metrics-bind-address)";
    private static final String EXPECTED_DOCUMENT =
            "(expected: the /status endpoint of a running sluice, e.g. http://127.0.0.1:10249/status)";

    /** The document as served, and read back. */
    record Fetched(String body, LiveStatus.Snapshot snapshot) {
    }

    private StatusClient() {
    }

    /** GETs {@code url} and checks that the answer is a status document. */
    static Fetched fetch(String url) {
        URI uri = uri(url);
        HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").GET().build();
        HttpResponse<String> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new IllegalArgumentException("status: " + url + ": no answer within "
                    + DurationConverter.format(REQUEST_TIMEOUT) + " " + EXPECTED_RUNNING, e);
        } catch (IOException e) {
            throw new IllegalArgumentException("status: " + url + ": " + reason(e) + " " + EXPECTED_RUNNING, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("status: " + url + ": interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new IllegalArgumentException("status: " + url + ": HTTP " + response.statusCode() + " "
                    + EXPECTED_DOCUMENT);
        }
        try {
            return new Fetched(response.body(), LiveStatus.parse(response.body()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("status: " + url + ": " + e.getMessage() + " " + EXPECTED_DOCUMENT, e);
        }
    }

    private static URI uri(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // Reported below with the one message for every malformed URL.
        }
        throw new IllegalArgumentException("--status: \"" + url
                + "\" (expected: an http URL such as http://127.0.0.1:10249/status)");
    }

    /** The first message in the cause chain. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        // The JDK 17 client drops the socket's message; a bare ConnectException means nothing listens there.
        return e instanceof ConnectException ? "Connection refused" : e.getClass().getSimpleName();
    }

    /**
     * The table of {@code sluice explain --output table} for the live entries, headed by the
     * generation, mode and node, followed by the listeners, the bind failures and the interface.
     */
    static String table(LiveStatus.Snapshot status) {
        StringBuilder out = new StringBuilder();
        out.append("generation: ").append(status.generation())
                .append("   mode: ").append(status.mode())
                .append("   node: ").append(status.node() == null ? "(none)" : status.node())
                .append("\n");
        if (status.services().size() < status.total()) {
            int last = status.offset() + status.services().size();
            out.append("service ports ").append(status.services().isEmpty() ? 0 : status.offset() + 1).append('-')
                    .append(last).append(" of ").append(status.total());
            if (last < status.total()) {
                out.append(" (next page: add ?offset=").append(last).append(" to the URL)");
            }
            out.append('\n');
        }
        out.append('\n');
        out.append(Explanation.serviceTable(status.services()));
        out.append("\nLISTENING\n");
        if (status.bound().isEmpty()) {
            out.append("(nothing)\n");
        }
        status.bound().forEach(address -> out.append(address).append('\n'));
        out.append("\nBIND FAILURES\n");
        if (status.bindFailures().isEmpty()) {
            out.append("(none)\n");
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SERVICE", "PORT", "FRONTEND", "ADDRESS", "REASON"});
            for (LiveStatus.Failure f : status.bindFailures()) {
                rows.add(new String[] {f.service(), (f.port().isEmpty() ? "-" : f.port()) + "/" + f.protocol(),
                    f.frontend(), f.address(), f.reason()});
            }
            out.append(Explanation.alignColumns(rows));
        }
        out.append("\nCLUSTER IP INTERFACE\n");
        LiveStatus.Interface device = status.clusterIpInterface();
        if (device == null) {
            out.append("(not used)\n");
        } else {
            out.append(device.device()).append(": ")
                    .append(device.addresses().isEmpty() ? "(no addresses)" : String.join(", ", device.addresses()))
                    .append('\n');
        }
        return out.toString();
    }
}
