package dev.sluice.proxy.cli;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiny HTTP servers on loopback that answer every request with their own name, so that a few
 * {@code curl}s through the demo show round robin at work.
 */
final class DemoBackends implements AutoCloseable {
    private final List<HttpServer> servers = new ArrayList<>();

    /** Starts {@code count} backends on ephemeral loopback ports. */
    static DemoBackends start(int count) throws IOException {
        DemoBackends backends = new DemoBackends();
        try {
            for (int i = 1; i <= count; i++) {
                backends.servers.add(startOne("backend-" + i));
            }
        } catch (IOException | RuntimeException e) {
            backends.close();
            throw e;
        }
        return backends;
    }

    private static HttpServer startOne(String name) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        int port = server.getAddress().getPort();
        byte[] body = ("Hello from " + name + " (127.0.0.1:" + port + ")\n").getBytes(StandardCharsets.UTF_8);
        server.createContext("/", exchange -> {
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
            }
        });
        server.start();
        return server;
    }

    /** {@code 127.0.0.1:port} of each backend, in start order. */
    List<String> addresses() {
        List<String> addresses = new ArrayList<>();
        for (HttpServer server : servers) {
            addresses.add("127.0.0.1:" + server.getAddress().getPort());
        }
        return addresses;
    }

    @Override
    public void close() {
        for (HttpServer server : servers) {
            server.stop(0);
        }
        servers.clear();
    }
}
