package dev.sluice.proxy.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Small shared pieces: free ports, static config files, socket probes. */
final class Fixtures {
    private Fixtures() {
    }

    /** A TCP port free on 127.0.0.1 right now. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /**
     * One service of a static config: {@code name} listening on 127.0.0.1:{@code port}, with
     * {@code extra} YAML lines (already indented by four spaces) and these backends.
     */
    static String service(String name, int port, String extra, TestServers.Server... backends) {
        String list = Arrays.stream(backends).map(b -> "\"" + b.hostPort() + "\"").collect(Collectors.joining(", "));
        return "  - name: " + name + "\n"
                + "    listen: [\"127.0.0.1:" + port + "\"]\n"
                + extra
                + "    backends: [" + list + "]\n";
    }

    /** Writes {@code services:} and the given service blocks to {@code file}. */
    static Path config(Path file, String... services) {
        try {
            Files.writeString(file, "services:\n" + String.join("", services));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects to a frontend. */
    static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 2000);
        return socket;
    }

    /** Whether the peer has neither closed nor reset the connection: a short read times out. */
    static boolean stillOpen(Socket socket) throws IOException {
        socket.setSoTimeout(50);
        try {
            return socket.getInputStream().read() >= 0;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
