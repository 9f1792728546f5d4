package dev.sluice.proxy.handover;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A bare line client of the handover socket (the JDK's own Unix sockets, no descriptors): a
 * successor that follows the protocol only as far as a test wants, then goes away. Its
 * {@link #main} runs as another uid in a child process.
 */
final class UnixLines implements AutoCloseable {
    private final SocketChannel channel;

    private UnixLines(SocketChannel channel) {
        this.channel = channel;
    }

    static UnixLines connect(Path path) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(path));
        return new UnixLines(channel);
    }

    void send(String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** The next line, or null at the end of the stream. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (one.get(0) == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(one.get(0));
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** {@code UnixLines PATH LINE}: sends one line and prints the answer (or that the connection failed). */
    public static void main(String[] args) {
        try (UnixLines client = connect(Path.of(args[0]))) {
            client.send(args[1]);
            System.out.println(client.readLine());
        } catch (IOException e) {
            System.out.println("connection failed: " + e);
        }
    }
}
