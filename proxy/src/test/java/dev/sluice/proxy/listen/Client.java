package dev.sluice.proxy.listen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A blocking test client on loopback; every read gives up after five seconds. */
final class Client implements AutoCloseable {
    final Socket socket;
    private final BufferedReader reader;

    private Client(Socket socket) throws IOException {
        this.socket = socket;
        this.reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    static Client connect(int port) {
        return connect(port, null);
    }

    /** Connects to 127.0.0.1:port, from {@code source} (port 0) when not null. */
    static Client connect(int port, InetAddress source) {
        Socket socket = new Socket();
        try {
            socket.setSoTimeout(5_000);
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(Proxy.loopback(port), 5_000);
            return new Client(socket);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                e.addSuppressed(ignored);
            }
            throw new UncheckedIOException(e);
        }
    }

    /** The next line, or null at the end of the stream. */
    String readLine() throws IOException {
        return reader.readLine();
    }

    void write(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
    }

    /** Everything until the end of the stream. */
    String readRest() throws IOException {
        StringBuilder rest = new StringBuilder();
        char[] buffer = new char[1024];
        for (int n; (n = reader.read(buffer)) >= 0; ) {
            rest.append(buffer, 0, n);
        }
        return rest.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
