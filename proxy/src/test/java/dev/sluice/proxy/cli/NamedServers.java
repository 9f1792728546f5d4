package dev.sluice.proxy.cli;

import dev.sluice.proxy.TestPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Plain TCP servers on loopback that write their own name to each connection, then close it. */
final class NamedServers implements AutoCloseable {
    private final List<ServerSocket> sockets = new ArrayList<>();

    /** Opens one server per address, all on {@code port}. */
    static NamedServers open(int port, String... ips) throws IOException {
        NamedServers servers = new NamedServers();
        for (String ip : ips) {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 128);
            servers.sockets.add(socket);
            Thread thread = new Thread(() -> serve(socket, ip), "named-" + ip);
            thread.setDaemon(true);
            thread.start();
        }
        return servers;
    }

    private static void serve(ServerSocket socket, String name) {
        byte[] reply = name.getBytes(StandardCharsets.UTF_8);
        while (!socket.isClosed()) {
            try (Socket client = socket.accept(); OutputStream out = client.getOutputStream()) {
                out.write(reply);
            } catch (IOException e) {
                // Closed by the test, or the client went away: either way serve the next one.
            }
        }
    }

    /** Connects, reads until the server closes, and returns what it said. */
    static String ask(InetSocketAddress address) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2000);
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A port free on 127.0.0.1 right now, and that no later bind to port 0 will be given. */
    static int freePort() {
        return TestPorts.free();
    }

    @Override
    public void close() throws IOException {
        for (ServerSocket socket : sockets) {
            socket.close();
        }
    }
}
