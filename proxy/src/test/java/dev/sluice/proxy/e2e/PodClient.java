package dev.sluice.proxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A client that lives in the pod namespace as its own JVM and takes one command per line on
 * standard input, answering each with one line on standard output:
 * <ul>
 *   <li>{@code GET src dst port}: connect from {@code src}, read the greeting, close:
 *       {@code OK name} or {@code FAIL reason};</li>
 *   <li>{@code OPEN id src dst port}: the same, but keep the connection as {@code id};</li>
 *   <li>{@code SEND id text}: send a line on {@code id}, answer with the line read back;</li>
 *   <li>{@code CLOSE id};</li>
 *   <li>{@code UDP src dst port text}: send one datagram from {@code src}, answer with
 *       {@code OK reply from ip:port} naming the address the reply came from.</li>
 * </ul>
 * Addresses are IP literals; nothing is ever looked up.
 */
public final class PodClient {
    private static final int TIMEOUT_MILLIS = 2000;

    private PodClient() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Connection> open = new HashMap<>();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("ready");
        System.out.flush();
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            String[] words = line.split(" ", 3);
            String answer;
            try {
                answer = switch (words[0]) {
                    case "GET" -> {
                        String[] w = line.split(" ");
                        try (Connection c = Connection.open(w[1], w[2], Integer.parseInt(w[3]))) {
                            yield "OK " + c.greeting;
                        }
                    }
                    case "OPEN" -> {
                        String[] w = line.split(" ");
                        Connection c = Connection.open(w[2], w[3], Integer.parseInt(w[4]));
                        open.put(w[1], c);
                        yield "OK " + c.greeting;
                    }
                    case "UDP" -> {
                        String[] w = line.split(" ", 5);
                        yield "OK " + udp(w[1], w[2], Integer.parseInt(w[3]), w[4]);
                    }
                    case "SEND" -> "OK " + open.get(words[1]).exchange(words[2]);
                    case "CLOSE" -> {
                        open.remove(words[1]).close();
                        yield "OK";
                    }
                    default -> "FAIL unknown command " + words[0];
                };
            } catch (IOException | RuntimeException e) {
                answer = "FAIL " + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            System.out.println(answer.replace('\n', ' '));
            System.out.flush();
        }
    }

    private static String udp(String source, String destination, int port, String text) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(Connection.literal(source), 0))) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(payload, payload.length,
                    new InetSocketAddress(Connection.literal(destination), port)));
            DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            socket.receive(reply);
            InetSocketAddress from = (InetSocketAddress) reply.getSocketAddress();
            return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)
                    + " from " + from.getAddress().getHostAddress() + ":" + from.getPort();
        } catch (SocketTimeoutException e) {
            throw new IOException("timed out", e);
        }
    }

    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;
        private final String greeting;

        private Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
            String first = in.readLine();
            if (first == null) {
                throw new IOException("closed before a greeting");
            }
            this.greeting = first;
        }

        static Connection open(String source, String destination, int port) throws IOException {
            Socket socket = new Socket();
            try {
                socket.setSoTimeout(TIMEOUT_MILLIS);
                socket.bind(new InetSocketAddress(literal(source), 0));
                socket.connect(new InetSocketAddress(literal(destination), port), TIMEOUT_MILLIS);
                return new Connection(socket);
            } catch (SocketTimeoutException e) {
                socket.close();
                throw new IOException("timed out", e);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }

        String exchange(String text) throws IOException {
            out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String reply = in.readLine();
            if (reply == null) {
                throw new IOException("closed");
            }
            return reply;
        }

        private static InetAddress literal(String ip) throws IOException {
            String[] parts = ip.split("\\.");
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                bytes[i] = (byte) Integer.parseInt(parts[i]);
            }
            return InetAddress.getByAddress(bytes);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
