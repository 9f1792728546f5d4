package dev.sluice.proxy.handover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/** TCP and UDP echo backends on loopback, one daemon thread per connection: test peers, not the thing tested. */
final class Echo implements AutoCloseable {
    private final ServerSocket tcp;
    private final DatagramSocket udp;
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

    Echo() throws IOException {
        tcp = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        udp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        daemon(this::acceptLoop);
        daemon(this::udpLoop);
    }

    int tcpPort() {
        return tcp.getLocalPort();
    }

    /** TCP connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    int udpPort() {
        return udp.getLocalPort();
    }

    private static void daemon(Runnable body) {
        Thread thread = new Thread(body, "echo");
        thread.setDaemon(true);
        thread.start();
    }

    private void acceptLoop() {
        while (!tcp.isClosed()) {
            try {
                Socket socket = tcp.accept();
                accepted.incrementAndGet();
                daemon(() -> echo(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void echo(Socket socket) {
        try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
            byte[] buffer = new byte[16 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // The client went away; nothing to echo to.
        }
    }

    private void udpLoop() {
        byte[] buffer = new byte[2048];
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udp.receive(packet);
                udp.send(new DatagramPacket(packet.getData(), packet.getLength(), packet.getSocketAddress()));
            } catch (SocketException e) {
                return;
            } catch (IOException e) {
                // One lost datagram; the client retries.
            }
        }
    }

    @Override
    public void close() throws IOException {
        tcp.close();
        udp.close();
    }
}
