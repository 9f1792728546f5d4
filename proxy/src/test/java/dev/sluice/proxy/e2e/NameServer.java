package dev.sluice.proxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * A stand-in for a pod's server, run in the backends namespace as its own JVM: on
 * {@code ip:port=name} it accepts TCP connections, greets each with {@code name}, then answers
 * every line it reads with {@code name line}, so a client can tell which endpoint it reached and
 * that a connection is still streaming. The name {@code @} stands for the address the client
 * reached: {@code 0.0.0.0:8080=@} answers as whichever of the namespace's addresses was dialled.
 * Prints {@code ready} once every address is bound.
 * Uses only the JDK and never looks up a name (DNS hangs inside a test namespace).
 */
public final class NameServer {
    private NameServer() {
    }

    public static void main(String[] args) throws IOException {
        for (String arg : args) {
            int equals = arg.indexOf('=');
            int colon = arg.lastIndexOf(':', equals);
            InetAddress ip = InetAddress.getByAddress(ipv4(arg.substring(0, colon)));
            int port = Integer.parseInt(arg.substring(colon + 1, equals));
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(ip, port), 128);
            String name = arg.substring(equals + 1);
            Thread acceptor = new Thread(() -> accept(server, name), "accept-" + name);
            acceptor.start();
        }
        System.out.println("ready");
        System.out.flush();
        // Runs until the test destroys the process; the accept threads keep the JVM alive.
    }

    /** An IPv4 literal's bytes, parsed without a name look-up. */
    static byte[] ipv4(String text) {
        String[] parts = text.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }

    private static void accept(ServerSocket server, String name) {
        accept(server, name, NameServer::serve);
    }

    /** Serves every connection the server accepts on a thread of its own, until it is closed. */
    static void accept(ServerSocket server, String name, BiConsumer<Socket, String> serve) {
        while (true) {
            try {
                Socket socket = server.accept();
                new Thread(() -> serve.accept(socket, name), "serve-" + name).start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void serve(Socket socket, String greeting) {
        String name = greeting.equals("@") ? socket.getLocalAddress().getHostAddress() : greeting;
        try (socket) {
            OutputStream out = socket.getOutputStream();
            out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write((name + " " + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // The client went away: nothing to report, this is a test stand-in.
        }
    }
}
