package dev.sluice.proxy.handover;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.IpFamily;
import dev.sluice.discovery.model.Protocol;
import dev.sluice.discovery.model.ServicePortKey;
import dev.sluice.proxy.balance.Pool;
import dev.sluice.proxy.listen.AffinityPin;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The handover protocol's words, one line each, and what both sides share. Two connections per
 * handover: the control connection carries lines both ways; the successor opens a second one
 * for the sockets themselves, one file descriptor per message, since in the read mode that
 * receives descriptors a message without one is not delivered.
 *
 * <pre>
 * successor                           predecessor
 * HELLO pid                    -&gt;
 *                              &lt;-     WAIT pid | REFUSED reason
 * (first table ready) TAKE     -&gt;     stops reading its listening sockets
 *                              &lt;-     LISTENERS n, then n lines "TCP|UDP ip port"
 * second connection: FDS       -&gt;     (same peer pid as the control connection)
 *                              &lt;-     n descriptors, in the order listed, at most WINDOW
 * GOT k (every WINDOW/2)       -&gt;     unacknowledged at a time
 * READY n                      -&gt;
 *                              &lt;-     COMMIT | ABORT reason   (timeout applies until here)
 * (registers what it wants) SERVING n -&gt;
 *                              &lt;-     CONNECTIONS m, then m lines "ip port backend-ip backend-port":
 *                                      established connections, read no more and flushed;
 *                                      2m descriptors, client then backend of each
 * KEEP i (one it cannot take)  -&gt;     (served here again)
 * ADOPTED k                    -&gt;     closes its copies of the others
 *                              &lt;-     AFFINITY p, then p lines: the client-IP affinity pins
 * PINNED q                     -&gt;
 *                              &lt;-     DONE (its admin ports and this socket released)
 * </pre>
 */
final class Wire {
    static final String HELLO = "HELLO";
    static final String WAIT = "WAIT";
    static final String REFUSED = "REFUSED";
    static final String TAKE = "TAKE";
    static final String LISTENERS = "LISTENERS";
    static final String FDS = "FDS";
    static final String READY = "READY";
    static final String COMMIT = "COMMIT";
    static final String ABORT = "ABORT";
    static final String SERVING = "SERVING";
    static final String DONE = "DONE";
    static final String CONNECTIONS = "CONNECTIONS";
    static final String KEEP = "KEEP";
    static final String ADOPTED = "ADOPTED";
    /** The successor's count of descriptors received so far, every {@link #WINDOW} / 2 of them. */
    static final String GOT = "GOT";
    static final String AFFINITY = "AFFINITY";
    static final String PINNED = "PINNED";
    /** Descriptors in flight at most: a Unix socket's send buffer holds a few hundred. */
    static final int WINDOW = 64;
    /** Longest line either side accepts. */
    static final int MAX_LINE = 512;

    private Wire() {
    }

    /** One listening socket as the offer lists it. */
    record Offered(Protocol protocol, InetSocketAddress address) {
        static Offered of(Channel channel) {
            Protocol protocol = channel instanceof ServerChannel ? Protocol.TCP : Protocol.UDP;
            return new Offered(protocol, (InetSocketAddress) channel.localAddress());
        }

        String line() {
            return protocol + " " + address.getAddress().getHostAddress() + " " + address.getPort();
        }

        static Offered parse(String line) {
            String[] words = line.split(" ");
            if (words.length != 3 || !(words[0].equals("TCP") || words[0].equals("UDP"))) {
                throw new IllegalStateException("handover: " + line + " (expected: TCP|UDP ip port)");
            }
            try {
                // A literal address: getByName does no look-up for one.
                InetAddress ip = InetAddress.getByName(words[1]);
                return new Offered(Protocol.valueOf(words[0]), new InetSocketAddress(ip, Integer.parseInt(words[2])));
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalStateException("handover: " + line + " (expected: TCP|UDP ip port)", e);
            }
        }

        @Override
        public String toString() {
            return protocol + " " + Addresses.format(address);
        }
    }

    /** An established connection as listed: the listener that accepted it and its backend. */
    record Connection(InetSocketAddress listener, InetSocketAddress backend) {
        String line() {
            return listener.getAddress().getHostAddress() + " " + listener.getPort() + " "
                    + backend.getAddress().getHostAddress() + " " + backend.getPort();
        }

        static Connection parse(String line) {
            String[] words = line.split(" ");
            if (words.length != 4) {
                throw new IllegalStateException("handover: " + line + " (expected: ip port backend-ip backend-port)");
            }
            try {
                return new Connection(new InetSocketAddress(InetAddress.getByName(words[0]), Integer.parseInt(words[1])),
                        new InetSocketAddress(InetAddress.getByName(words[2]), Integer.parseInt(words[3])));
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalStateException("handover: " + line + " (expected: ip port backend-ip backend-port)", e);
            }
        }
    }

    /** A client-IP affinity pin: "namespace name port|- protocol family internal|external client backend-ip backend-port nanos-left". */
    static String line(AffinityPin pin) {
        ServicePortKey key = pin.key();
        Pool.Pinned pinned = pin.pinned();
        return String.join(" ", word(key.namespace()), word(key.name()), word(key.port()),
                key.protocol().name(), key.family().name(), pin.external() ? "external" : "internal",
                pinned.client().getHostAddress(), pinned.backend().getAddress().getHostAddress(),
                Integer.toString(pinned.backend().getPort()), Long.toString(pinned.nanosLeft()));
    }

    /** An empty name travels as "-", which no Kubernetes or standalone name is. */
    private static String word(String value) {
        return value.isEmpty() ? "-" : value;
    }

    private static String unword(String word) {
        return word.equals("-") ? "" : word;
    }

    static AffinityPin parsePin(String line) {
        String[] w = line.split(" ");
        try {
            if (w.length != 10) {
                throw new IllegalArgumentException("10 words");
            }
            ServicePortKey key = new ServicePortKey(unword(w[0]), unword(w[1]), unword(w[2]), Protocol.valueOf(w[3]),
                    IpFamily.valueOf(w[4]));
            return new AffinityPin(key, w[5].equals("external"), new Pool.Pinned(InetAddress.getByName(w[6]),
                    new InetSocketAddress(InetAddress.getByName(w[7]), Integer.parseInt(w[8])), Long.parseLong(w[9])));
        } catch (IllegalArgumentException | UnknownHostException e) {
            throw new IllegalStateException("handover: " + line + " (expected: namespace name port|- protocol family"
                    + " internal|external client backend-ip backend-port nanos-left)", e);
        }
    }

    /** The uid this process runs as: the owner of /proc/self. */
    static int ownUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long ownPid() {
        return ProcessHandle.current().pid();
    }

    /** One epoll loop for the handover's Unix sockets: they need epoll, whatever the data path uses. */
    static EventLoopGroup newGroup() {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("sluice-handover", true),
                EpollIoHandler.newFactory());
    }
}
