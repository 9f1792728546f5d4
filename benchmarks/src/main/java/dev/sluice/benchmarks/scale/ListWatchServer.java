package dev.sluice.benchmarks.scale;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/**
 * A Kubernetes API server just large enough for a proxy's informers: it lists and watches
 * {@code services}, {@code endpointslices.discovery.k8s.io} and this node, for a cluster of
 * {@code services} Services of {@code endpoints} endpoints each ({@link ScaleObjects}), and
 * pushes one EndpointSlice change when {@code /bench/change} is requested (the probe Service's
 * endpoints move to the other backends, see {@link ScaleRig#probeBackends}). Lists are written
 * as they are generated, so a list of 50,000 slices costs the server no memory, and honour
 * {@code limit}/{@code continue} paging. Watches are HTTP streams: a websocket upgrade is
 * answered 200 without upgrading, on which fabric8 watches over plain HTTP at once (a 503 would
 * be retried with back-off first). Label and field selectors are not evaluated (nothing here carries
 * the labels the proxy excludes, and there is one Node).
 */
final class ListWatchServer implements AutoCloseable {
    private static final String SERVICES = "/api/v1/services";
    private static final String SLICES = "/apis/discovery.k8s.io/v1/endpointslices";
    private static final String NODES = "/api/v1/nodes";
    private static final long LISTED_VERSION = 1000;

    private final int services;
    private final int endpoints;
    private final Map<String, List<OutputStream>> watchers = new HashMap<>();
    private final HttpServer server;
    private long version = LISTED_VERSION;

    ListWatchServer(InetSocketAddress address, int services, int endpoints) throws IOException {
        this.services = services;
        this.endpoints = endpoints;
        for (String path : List.of(SERVICES, SLICES, NODES)) {
            watchers.put(path, new CopyOnWriteArrayList<>());
        }
        server = HttpServer.create(address, 64);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext(SERVICES, exchange -> serve(exchange, SERVICES, "ServiceList", "v1", services,
                i -> ScaleObjects.service(i, LISTED_VERSION)));
        server.createContext(SLICES, exchange -> serve(exchange, SLICES, "EndpointSliceList", "discovery.k8s.io/v1",
                services, i -> ScaleObjects.slice(i, endpoints, ScaleRig.probeBackends(i, services, false),
                        LISTED_VERSION)));
        server.createContext(NODES, exchange -> serve(exchange, NODES, "NodeList", "v1", 1,
                i -> ScaleObjects.node(LISTED_VERSION)));
        server.createContext("/bench/change", exchange -> {
            changeSlice(0, ScaleRig.probeBackends(0, services, true));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Moves {@code svc-i}'s endpoints to {@code backends}, as a MODIFIED event on every slice watch. */
    synchronized void changeSlice(int i, String[] backends) throws IOException {
        version++;
        String event = "{\"type\":\"MODIFIED\",\"object\":" + ScaleObjects.slice(i, endpoints, backends, version) + "}\n";
        byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
        for (OutputStream out : watchers.get(SLICES)) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                watchers.get(SLICES).remove(out);
            }
        }
    }

    private void serve(HttpExchange exchange, String path, String kind, String apiVersion, int count,
            IntFunction<String> item) throws IOException {
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        if ("websocket".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Upgrade"))) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if ("true".equals(query.get("watch"))) {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.flush();
            // Held open until the client goes; events are written by changeSlice.
            watchers.get(path).add(out);
            return;
        }
        int from = query.containsKey("continue") ? Integer.parseInt(query.get("continue")) : 0;
        int limit = query.containsKey("limit") ? Integer.parseInt(query.get("limit")) : count;
        int to = limit <= 0 ? count : (int) Math.min(count, (long) from + limit);
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = new BufferedOutputStream(exchange.getResponseBody(), 1 << 16)) {
            String more = to < count ? ",\"continue\":\"" + to + "\"" : "";
            write(out, "{\"apiVersion\":\"" + apiVersion + "\",\"kind\":\"" + kind + "\",\"metadata\":{\"resourceVersion\":\""
                    + LISTED_VERSION + "\"" + more + "},\"items\":[");
            for (int i = from; i < to; i++) {
                write(out, (i == from ? "" : ",") + item.apply(i));
            }
            write(out, "]}");
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> result = new HashMap<>();
        if (raw == null) {
            return result;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            result.put(key, value);
        }
        return result;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
