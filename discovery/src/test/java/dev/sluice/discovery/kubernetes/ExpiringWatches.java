package dev.sluice.discovery.kubernetes;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A CRUD API server that, once told to ({@link #expire()}), answers the first watch of each
 * resource with 410 Gone, as a real API server does when a watch resumes from a version its
 * watch cache no longer reaches: the informer relists and sees deletes made while it was away.
 * The plain CRUD mock keeps no history and would only re-send ADDED for what exists.
 */
public final class ExpiringWatches extends KubernetesCrudDispatcher {
    private final Set<String> expired = ConcurrentHashMap.newKeySet();
    private volatile boolean expire;

    /** From now on, the first watch of each resource is answered with 410 Gone. */
    public void expire() {
        expire = true;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        if (expire && path.contains("watch=true") && expired.add(path.substring(0, path.indexOf('?')))) {
            // The API server accepts the watch, then reports the expired version in the stream.
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onOpen(WebSocket webSocket, Response response) {
                    webSocket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"status\":\"Failure\",\"reason\":\"Expired\",\"code\":410,"
                            + "\"message\":\"too old resource version\"}}");
                }
            });
        }
        return super.dispatch(request);
    }
}
