package dev.sluice.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Says in one line why an informer could not list its resource at start-up, in the convention
 * {@code resource: what happened (expected: ...)}.
 */
final class StartupErrors {
    private static final int PROBE_TIMEOUT_MILLIS = 1000;

    private StartupErrors() {
    }

    /** Why listing {@code resource} failed with {@code failure}. */
    static String describe(String resource, Throwable failure, String apiServer) {
        Throwable cause = unwrap(failure);
        KubernetesClientException api = find(cause, KubernetesClientException.class);
        int code = api == null ? 0 : api.getCode();
        if (code == 401) {
            return resource + ": 401 Unauthorized (expected: valid credentials in the kubeconfig or service account)";
        }
        if (code == 403) {
            return resource + ": 403 Forbidden (expected: get/list/watch permission, see deploy/rbac.yaml)";
        }
        if (code == 404) {
            return resource + ": 404 Not Found at " + apiServer + " (expected: an API server that serves it, Kubernetes 1.21+)";
        }
        if (code != 0) {
            return resource + ": " + code + " " + statusMessage(api) + " from " + apiServer;
        }
        IOException io = find(cause, IOException.class);
        if (io != null) {
            // The HTTP client's own exceptions often carry no reason (JDK: a bare ConnectException).
            String unreachable = probe(apiServer);
            return resource + ": cannot reach " + apiServer + ": " + (unreachable != null ? unreachable : message(io));
        }
        return resource + ": " + message(cause) + " (expected: a reachable Kubernetes API server at " + apiServer + ")";
    }

    /**
     * Why {@code resource} was not listed within {@code timeout}: the client retries a refused
     * connection for longer than a start-up timeout, so a direct probe tells the operator
     * whether the API server can be reached at all.
     */
    static String timedOut(String resource, Duration timeout, String apiServer) {
        String reachability = probe(apiServer);
        if (reachability != null) {
            return resource + ": cannot reach " + apiServer + ": " + reachability;
        }
        return resource + ": not listed within " + timeout.toMillis() + " ms (expected: an answer from " + apiServer + ")";
    }

    /** {@code null} when a TCP connection to the API server opens, else why it did not. */
    private static String probe(String apiServer) {
        URI uri;
        try {
            uri = URI.create(apiServer);
        } catch (IllegalArgumentException e) {
            return "not a URL (expected: https://host:port)";
        }
        if (uri.getHost() == null) {
            return "no host in the URL (expected: https://host:port)";
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "http".equals(uri.getScheme()) ? 80 : 443;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(uri.getHost(), port), PROBE_TIMEOUT_MILLIS);
            return null;
        } catch (IOException e) {
            return message(e);
        }
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String statusMessage(KubernetesClientException api) {
        if (api.getStatus() != null && api.getStatus().getMessage() != null) {
            return api.getStatus().getMessage();
        }
        return message(api);
    }

    /** The innermost non-empty message, with the exception's simple name when there is none. */
    private static String message(Throwable failure) {
        String message = null;
        Throwable last = failure;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
            last = t;
        }
        return message != null ? message : last.getClass().getSimpleName();
    }
}
