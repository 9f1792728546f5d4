package dev.sluice.proxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A stand-in for a pod's server that tells the client which address it came from: on
 * {@code ip:port=name} it greets every TCP connection with {@code name peer-ip}, then answers each
 * line with {@code name line}, and answers every UDP datagram to the same address with
 * {@code name peer-ip text}. Prints {@code ready} once
 * every socket is bound. Uses only the JDK and never looks up a name.
 */
public final class PeerServer {
    private PeerServer() {
    }

    public static void main(String[] args) throws IOException {
        for (String arg : args) {
            int equals = arg.indexOf('=');
            int colon = arg.lastIndexOf(':', equals);
            InetAddress ip = InetAddress.getByAddress(NameServer.ipv4(arg.substring(0, colon)));
            InetSocketAddress address = new InetSocketAddress(ip, Integer.parseInt(arg.substring(colon + 1, equals)));
            String name = arg.substring(equals + 1);
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(address, 128);
            DatagramSocket datagrams = new DatagramSocket(address);
            new Thread(() -> NameServer.accept(server, name, PeerServer::serve), "tcp-" + name).start();
            new Thread(() -> echo(datagrams, name), "udp-" + name).start();
        }
        System.out.println("ready");
        System.out.flush();
    }

    private static void serve(Socket socket, String name) {
        try (socket) {
            OutputStream out = socket.getOutputStream();
            out.write((name + " " + socket.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8));
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

    private static void echo(DatagramSocket socket, String name) {
        byte[] buffer = new byte[1500];
        while (true) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                String text = new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8);
                byte[] reply = (name + " " + packet.getAddress().getHostAddress() + " " + text).getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }
}
