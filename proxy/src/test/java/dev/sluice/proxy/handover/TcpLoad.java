package dev.sluice.proxy.handover;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load through a proxied echo service: long-lived connections that stream pseudo-random chunks
 * and check every echoed byte, and a client that opens a new connection every 10 ms. Counts
 * what went wrong rather than throwing, so a test can assert on the totals.
 */
final class TcpLoad implements AutoCloseable {
    private static final int CHUNK = 4096;

    private final int port;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    /** Verified echoed bytes per stream. */
    private final AtomicLong[] verified;
    /** The longest time, in nanoseconds, any stream waited for one chunk's echo. */
    private final AtomicLong longestGapNanos = new AtomicLong();
    final AtomicLong newConnectionsOk = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong resets = new AtomicLong();
    final AtomicLong streamsFinished = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    TcpLoad(int port, int streams) throws IOException {
        this.port = port;
        this.verified = new AtomicLong[streams];
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            verified[i] = new AtomicLong();
            sockets.add(connect());
        }
        for (int i = 0; i < streams; i++) {
            int index = i;
            Socket socket = sockets.get(i);
            threads.add(start("stream-" + i, () -> stream(index, socket)));
        }
        threads.add(start("new-connections", this::newConnections));
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void stream(int index, Socket socket) {
        Random random = new Random(index);
        byte[] sent = new byte[CHUNK];
        byte[] echoed = new byte[CHUNK];
        try (socket) {
            OutputStream out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            while (!stopped.get()) {
                random.nextBytes(sent);
                long start = System.nanoTime();
                out.write(sent);
                in.readFully(echoed);
                longestGapNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                if (!Arrays.equals(sent, echoed)) {
                    failures.add("stream " + index + ": echoed bytes differ after " + verified[index].get());
                    return;
                }
                verified[index].addAndGet(CHUNK);
            }
            socket.shutdownOutput();
            if (in.read() != -1) {
                failures.add("stream " + index + ": bytes after the end");
                return;
            }
            streamsFinished.incrementAndGet();
        } catch (IOException e) {
            count(e);
            failures.add("stream " + index + " after " + verified[index].get() + " bytes: " + e);
        }
    }

    private void newConnections() {
        byte[] ping = "ping-pong".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] answer = new byte[ping.length];
        while (!stopped.get()) {
            long next = System.nanoTime() + 10_000_000;
            try (Socket socket = connect()) {
                socket.getOutputStream().write(ping);
                new DataInputStream(socket.getInputStream()).readFully(answer);
                if (Arrays.equals(ping, answer)) {
                    newConnectionsOk.incrementAndGet();
                } else {
                    failures.add("new connection: wrong echo");
                }
            } catch (IOException e) {
                count(e);
                failures.add("new connection: " + e);
            }
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
    }

    private void count(IOException e) {
        if (e instanceof ConnectException) {
            refused.incrementAndGet();
        } else if (e instanceof SocketException && String.valueOf(e.getMessage()).contains("reset")) {
            resets.incrementAndGet();
        }
    }

    /** Verified bytes of the stream that has moved least so far. */
    long leastVerified() {
        return Arrays.stream(verified).mapToLong(AtomicLong::get).min().orElse(0);
    }

    long longestGapMillis() {
        return longestGapNanos.get() / 1_000_000;
    }

    /** Ends every stream with an orderly close and waits for the threads. */
    @Override
    public void close() throws InterruptedException {
        stopped.set(true);
        for (Thread thread : threads) {
            thread.join(30_000);
        }
    }
}
