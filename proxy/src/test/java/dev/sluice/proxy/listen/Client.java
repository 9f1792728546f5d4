package dev.sluice.proxy.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
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

    /**
     * Connects and reads, expecting the proxy to reset the connection. The reset may surface
     * in connect already: the JDK checks the socket error after the handshake, and by then
     * the proxy may have accepted and reset it.
     */
    static void assertReset(int port, InetAddress source) {
        Throwable thrown = catchThrowable(() -> {
            try (Client client = connect(port, source)) {
                client.readLine();
            }
        });
        Throwable cause = thrown instanceof UncheckedIOException unchecked ? unchecked.getCause() : thrown;
        assertThat(cause).isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
    }

    static void assertReset(int port) {
        assertReset(port, null);
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
