package dev.sluice.proxy;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports a test names before something binds them (a service's listen port, a backend that must
 * refuse). They come from below the kernel's ephemeral range (32768-60999 on Linux by default):
 * a port taken from that range by binding port 0 and closing again is handed out by the very next
 * bind to port 0 just as well, so a test backend started afterwards could sit on the service's
 * port, or a "dead" backend's port could come alive. Within one JVM no port is handed out twice;
 * a random start keeps parallel test JVMs apart, and each port is checked free when handed out.
 */
public final class TestPorts {
    private static final int FIRST = 20_000;
    private static final int LAST = 32_767;
    private static final AtomicInteger NEXT = new AtomicInteger(ThreadLocalRandom.current().nextInt(LAST - FIRST + 1));

    private TestPorts() {
    }

    /** A port on which nothing listens over TCP or UDP on the loopback address right now. */
    public static int free() {
        for (int tries = 0; tries <= LAST - FIRST; tries++) {
            int port = FIRST + Math.floorMod(NEXT.getAndIncrement(), LAST - FIRST + 1);
            if (bindable(port)) {
                return port;
            }
        }
        throw new IllegalStateException("ports " + FIRST + "-" + LAST + ": all in use (expected: a free one)");
    }

    private static boolean bindable(int port) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket tcp = new ServerSocket(port, 1, loopback); DatagramSocket udp = new DatagramSocket(port, loopback)) {
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }
}
