package dev.sluice.proxy.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit log kube-apiserver of {@code test/k8s/up} writes ({@code DIR/audit.log}): the lists
 * and watches ServiceAccounts made on Services, EndpointSlices and Nodes, each once it completed.
 */
final class ApiServerAudit {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One completed request: when it was received, its verb, request URI and response code. */
    record Request(Instant received, String verb, String uri, int code) {
        /** The {@code resourceVersion} query parameter, or -1 without one. */
        long resourceVersion() {
            for (String parameter : uri.substring(uri.indexOf('?') + 1).split("&")) {
                if (parameter.startsWith("resourceVersion=") && parameter.length() > 16) {
                    return Long.parseLong(parameter.substring(16));
                }
            }
            return -1;
        }
    }

    private ApiServerAudit() {
    }

    /**
     * The first watch of {@code user} on {@code resource}, received after {@code since}, from a
     * resourceVersion below {@code revision}, that a list followed: how an informer answers 410
     * Gone. Fails, listing the requests it saw, when there is none.
     */
    static Request watchFromBeforeThenList(Path log, String user, String resource, Instant since, long revision)
            throws IOException {
        List<Request> seen = of(log, user, resource).stream().filter(r -> r.received().isAfter(since)).toList();
        for (int i = 0; i < seen.size(); i++) {
            Request watch = seen.get(i);
            if (watch.verb().equals("watch") && watch.resourceVersion() > 0 && watch.resourceVersion() < revision
                    && seen.subList(i + 1, seen.size()).stream().anyMatch(r -> r.verb().equals("list"))) {
                return watch;
            }
        }
        throw new AssertionError("no watch of " + resource + " from before revision " + revision
                + " followed by a list, since " + since + ", in " + seen);
    }

    /** The completed requests of {@code user} on {@code resource}, in the order they ended. */
    static List<Request> of(Path log, String user, String resource) throws IOException {
        List<Request> requests = new ArrayList<>();
        if (!Files.exists(log)) {
            return requests;
        }
        for (String line : Files.readAllLines(log)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode event = JSON.readTree(line);
            if (event.path("stage").asString().equals("ResponseComplete")
                    && event.path("user").path("username").asString().equals(user)
                    && event.path("objectRef").path("resource").asString().equals(resource)) {
                requests.add(new Request(Instant.parse(event.path("requestReceivedTimestamp").asString()),
                        event.path("verb").asString(), event.path("requestURI").asString(),
                        event.path("responseStatus").path("code").asInt()));
            }
        }
        return requests;
    }
}
