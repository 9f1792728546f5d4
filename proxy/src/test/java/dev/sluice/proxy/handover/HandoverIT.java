package dev.sluice.proxy.handover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.SluiceJar;
import dev.sluice.proxy.TestPorts;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real sluice processes on loopback hand their listening sockets over through
 * {@code --handover-socket}, under load and when the handover goes wrong. Both use the same
 * admin ports, as two pods of a DaemonSet on one node's network do.
 */
class HandoverIT {
    private static final Duration EXIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<SluiceJar> started = new ArrayList<>();
    private final int healthPort = freePort();
    private final int metricsPort = freePort();

    @AfterEach
    void stopAndCheckLeaks() {
        started.forEach(SluiceJar::close);
        for (SluiceJar sluice : started) {
            assertThat(sluice.output()).as("Netty's leak detector (paranoid)").doesNotContain("LEAK:");
        }
    }

    /**
     * Shows that under load no new connection is refused or reset across a handover, and that
     * the 32 established streams move to the successor with every byte intact: they keep
     * streaming through it after the predecessor has exited 0.
     */
    @Test
    void underLoadNothingIsRefusedAndEstablishedStreamsMoveIntact() throws Exception {
        try (Echo echo = new Echo()) {
            int port = freePort();
            Path config = config("web", port, echo.tcpPort(), "TCP");
            SluiceJar old = sluice(config, "--shutdown-grace=60s");
            old.awaitLine("serving handovers on");
            TcpLoad load = new TcpLoad(port, 32);
            try {
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> load.leastVerified() > 64 * 1024 && load.newConnectionsOk.get() > 20);
                SluiceJar next = sluice(config);
                next.awaitLine("took over from pid");
                old.awaitLine("handed 1 listening socket\\(s\\) and \\d+ established connection\\(s\\) to pid");
                assertThat(old.awaitExit(EXIT)).as("the predecessor, with its streams handed over").isZero();
                long okAtExit = load.newConnectionsOk.get();
                long streamedAtExit = load.leastVerified();
                await().atMost(Duration.ofSeconds(20)).until(() -> load.newConnectionsOk.get() > okAtExit + 50
                        && load.leastVerified() > streamedAtExit + 64 * 1024);
                load.close();
                assertThat(load.failures).isEmpty();
                assertThat(load.refused.get()).isZero();
                assertThat(load.resets.get()).isZero();
                assertThat(load.streamsFinished.get()).isEqualTo(32);
                String metrics = get(metricsPort, "/metrics");
                assertThat(metrics).contains("sluice_handover_listeners_received_total 1.0");
                assertThat(Double.parseDouble(metrics.replaceAll("(?s).*\\nsluice_handover_connections_received_total (\\S+)\\n.*", "$1")))
                        .isGreaterThanOrEqualTo(32);
                System.out.printf("tcp: longest wait for one echoed chunk %d ms%n", load.longestGapMillis());
            } finally {
                load.close();
            }
        }
    }

    /** Shows that DNS-like UDP requests sent before, during and after a handover all get their answer. */
    @Test
    void udpRequestsAreAnsweredAcrossTheHandover() throws Exception {
        try (Echo echo = new Echo(); DatagramSocket client = new DatagramSocket()) {
            int port = freePort();
            Path config = config("dns", port, echo.udpPort(), "UDP");
            SluiceJar old = sluice(config);
            old.awaitLine("serving handovers on");
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            client.setSoTimeout(300);
            CompletableFuture<SluiceJar> successor = CompletableFuture.supplyAsync(() -> {
                SluiceJar next = sluice(config);
                next.awaitLine("took over from pid");
                return next;
            });
            int answered = 0;
            int retries = 0;
            int afterTakeover = 0;
            for (int request = 0; afterTakeover < 100; request++) {
                int tries = 0;
                while (!ask(client, "request-" + request)) {
                    assertThat(++tries).as("tries for request " + request).isLessThan(5);
                    retries++;
                }
                answered++;
                if (successor.isDone()) {
                    afterTakeover++;
                }
            }
            successor.join();
            assertThat(old.awaitExit(EXIT)).isZero();
            assertThat(ask(client, "after-exit")).isTrue();
            assertThat(answered).isGreaterThan(100);
            System.out.printf("udp: %d requests answered, %d retries%n", answered, retries);
        }
    }

    /**
     * Shows a handover to a process whose config dropped one service and added another: the
     * dropped one stops listening and the successor refuses its open connection, which goes on
     * in the predecessor until it ends; the new one listens; the kept one is served by the successor.
     */
    @Test
    void configChangeDrainsTheDroppedServiceAndListensOnTheNewOne() throws Exception {
        try (Echo echo = new Echo()) {
            int kept = freePort();
            int dropped = freePort();
            int added = freePort();
            SluiceJar old = sluice(config(echo, List.of("kept", "dropped"), List.of(kept, dropped)),
                    "--shutdown-grace=60s");
            old.awaitLine("serving handovers on");
            try (Socket open = connect(dropped)) {
                assertThat(echo(open, "before")).isTrue();
                SluiceJar next = sluice(config(echo, List.of("kept", "added"), List.of(kept, added)));
                next.awaitLine("took over from pid");
                assertThat(next.output()).contains("closing 1 listener(s) handed over but not wanted by this table");
                assertThat(echoOnce(kept)).isTrue();
                assertThat(echoOnce(added)).isTrue();
                assertThat(refused(dropped)).as("the dropped service's port").isTrue();
                old.awaitLine("1 kept here");
                assertThat(echo(open, "after")).as("the dropped service's open connection, kept by the predecessor").isTrue();
                assertThat(old.isAlive()).isTrue();
            }
            assertThat(old.awaitExit(EXIT)).isZero();
        }
    }

    /**
     * Shows that a successor which goes away after the predecessor paused its listeners, or
     * never confirms, leaves the predecessor serving: a connection made while the listener was
     * paused is accepted once it resumes, not refused.
     */
    @Test
    void successorGoneOrSilentMidwayLeavesThePredecessorServing() throws Exception {
        try (Echo echo = new Echo()) {
            int port = freePort();
            SluiceJar old = sluice(config("web", port, echo.tcpPort(), "TCP"), "--handover-timeout=2s");
            old.awaitLine("serving handovers on");
            Path socket = dir.resolve("handover.sock");

            try (UnixLines successor = UnixLines.connect(socket)) {
                successor.send("HELLO 1");
                assertThat(successor.readLine()).startsWith("WAIT ");
                successor.send("TAKE");
                assertThat(successor.readLine()).isEqualTo("LISTENERS 1");
                assertThat(successor.readLine()).isEqualTo("TCP 127.0.0.1 " + port);
            }
            old.awaitLine("handover to pid \\d+ failed at OFFERED: the successor closed the connection;"
                    + " still serving 1 listening socket\\(s\\), reading them again");
            assertThat(echoOnce(port)).isTrue();

            try (UnixLines successor = UnixLines.connect(socket); UnixLines descriptors = UnixLines.connect(socket)) {
                successor.send("HELLO 1");
                assertThat(successor.readLine()).startsWith("WAIT ");
                successor.send("TAKE");
                assertThat(successor.readLine()).isEqualTo("LISTENERS 1");
                assertThat(successor.readLine()).isEqualTo("TCP 127.0.0.1 " + port);
                descriptors.send("FDS");
                CompletableFuture<Boolean> whilePaused = CompletableFuture.supplyAsync(() -> echoOnce(port));
                old.awaitLine("no READY within 2000 ms \\(--handover-timeout\\); still serving 1 listening socket");
                assertThat(successor.readLine()).startsWith("ABORT ");
                assertThat(whilePaused.get(20, TimeUnit.SECONDS)).as("a connection made while paused").isTrue();
            }
            assertThat(echoOnce(port)).isTrue();
            assertThat(get(metricsPort, "/metrics"))
                    .contains("sluice_handover_failures_total{reason=\"successor_gone\"} 1.0")
                    .contains("sluice_handover_failures_total{reason=\"timeout\"} 1.0");
            assertThat(old.isAlive()).isTrue();
        }
    }

    /**
     * Shows a handover with no listening socket to send (every frontend captured by
     * {@code --capture tproxy}, or no service yet): the successor's READY 0 may arrive before its
     * FDS, which travels on its own connection, and is answered with COMMIT once FDS is there.
     */
    @Test
    void withNoListenerToSendReadyMayOvertakeFds() throws Exception {
        Path config = Files.writeString(Files.createTempFile(dir, "sluice", ".yaml"), "services: []\n");
        SluiceJar old = sluice(config);
        old.awaitLine("serving handovers on");
        Path socket = dir.resolve("handover.sock");
        try (UnixLines successor = UnixLines.connect(socket); UnixLines descriptors = UnixLines.connect(socket)) {
            successor.send("HELLO 1");
            assertThat(successor.readLine()).startsWith("WAIT ");
            successor.send("TAKE");
            assertThat(successor.readLine()).isEqualTo("LISTENERS 0");
            successor.send("READY 0");
            descriptors.send("FDS");
            assertThat(successor.readLine()).isEqualTo("COMMIT");
        }
        old.awaitLine("failed at COMMITTED: the successor closed the connection");
        assertThat(old.isAlive()).isTrue();
    }

    /**
     * Shows a successor that goes away while it takes the established connections, after it
     * already served the listeners: the predecessor reads its listeners again and closes the
     * connections it was handing over (the successor may have read from them), as it logs.
     */
    @Test
    void successorGoneWhileTakingConnectionsLeavesThePredecessorListening() throws Exception {
        try (Echo echo = new Echo()) {
            int port = freePort();
            SluiceJar old = sluice(config("web", port, echo.tcpPort(), "TCP"));
            old.awaitLine("serving handovers on");
            Path socket = dir.resolve("handover.sock");
            try (Socket open = connect(port)) {
                assertThat(echo(open, "before")).isTrue();
                try (UnixLines successor = UnixLines.connect(socket); UnixLines descriptors = UnixLines.connect(socket)) {
                    successor.send("HELLO 1");
                    assertThat(successor.readLine()).startsWith("WAIT ");
                    successor.send("TAKE");
                    assertThat(successor.readLine()).isEqualTo("LISTENERS 1");
                    assertThat(successor.readLine()).isEqualTo("TCP 127.0.0.1 " + port);
                    // The JDK's Unix sockets drop received descriptors: this successor takes none.
                    descriptors.send("FDS");
                    successor.send("READY 1");
                    assertThat(successor.readLine()).isEqualTo("COMMIT");
                    successor.send("SERVING 1");
                    assertThat(successor.readLine()).isEqualTo("CONNECTIONS 1");
                    assertThat(successor.readLine()).startsWith("127.0.0.1 " + port + " 127.0.0.1 " + echo.tcpPort());
                }
                old.awaitLine("handover to pid \\d+: closing 1 connection\\(s\\) it was taking");
                old.awaitLine("failed at MOVING: the successor closed the connection; still serving 1 listening socket");
                assertThat(open.getInputStream().read()).as("the connection being taken, closed").isEqualTo(-1);
            }
            assertThat(echoOnce(port)).as("a new connection to the predecessor").isTrue();
            assertThat(old.isAlive()).isTrue();
        }
    }

    /**
     * Shows that client-IP affinity survives a handover: the successor restores the
     * predecessor's pin (it says PINNED 1), and every later connection of the client reaches
     * the backend pinned before the handover, though the successor lists its backends the other
     * way round (its own first pick would be the other one).
     */
    @Test
    void affinityPinsMoveToTheSuccessor() throws Exception {
        try (Echo a = new Echo(); Echo b = new Echo()) {
            int port = freePort();
            SluiceJar old = sluice(affinityConfig(port, a.tcpPort(), b.tcpPort()));
            old.awaitLine("serving handovers on");
            try (Socket first = connect(port)) {
                assertThat(echo(first, "pin me")).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> a.accepted() + b.accepted() == 1);
            Echo pinned = a.accepted() == 1 ? a : b;
            Echo other = pinned == a ? b : a;
            // Reversed: a fresh round-robin cursor picks at the same position first, the other backend.
            SluiceJar next = sluice(affinityConfig(port, b.tcpPort(), a.tcpPort()));
            next.awaitLine("took over from pid");
            old.awaitLine("handed 1 client-IP affinity pin\\(s\\) to pid \\d+ \\(PINNED 1\\)");
            for (int i = 0; i < 3; i++) {
                assertThat(echoOnce(port)).isTrue();
            }
            assertThat(pinned.accepted()).as("connections to the pinned backend").isEqualTo(4);
            assertThat(other.accepted()).isZero();
        }
    }

    private Path affinityConfig(int port, int firstBackend, int secondBackend) throws IOException {
        Path file = Files.createTempFile(dir, "sluice", ".yaml");
        Files.writeString(file, "services:\n  - name: sticky\n    listen: \"127.0.0.1:" + port + "\"\n"
                + "    backends: [\"127.0.0.1:" + firstBackend + "\", \"127.0.0.1:" + secondBackend + "\"]\n"
                + "    sessionAffinity: {}\n");
        return file;
    }

    /**
     * Shows that a second successor, while a handover runs, is refused with a message naming the
     * first; and that readiness passes to a successor: /healthz answers 503 while one is connected.
     */
    @Test
    void aSecondSuccessorIsRefusedWhileAHandoverRuns() throws Exception {
        try (Echo echo = new Echo()) {
            int port = freePort();
            Path config = config("web", port, echo.tcpPort(), "TCP");
            SluiceJar old = sluice(config);
            old.awaitLine("serving handovers on");
            try (UnixLines first = UnixLines.connect(dir.resolve("handover.sock"))) {
                assertThat(status(healthPort, "/healthz")).isEqualTo(200);
                first.send("HELLO 4242");
                assertThat(first.readLine()).startsWith("WAIT ");
                assertThat(status(healthPort, "/healthz")).as("readiness while a successor takes over").isEqualTo(503);
                assertThat(status(healthPort, "/livez")).isEqualTo(200);
                SluiceJar second = sluice(config);
                assertThat(second.awaitExit(EXIT)).isNotZero();
                assertThat(second.output()).contains("REFUSED a handover to pid", "is running (expected: one successor at a time)");
                assertThat(echoOnce(port)).isTrue();
            }
            old.awaitLine("handover to pid \\d+ failed at RESERVED");
            assertThat(echoOnce(port)).isTrue();
            assertThat(status(healthPort, "/healthz")).isEqualTo(200);
            assertThat(old.isAlive()).isTrue();
        }
    }

    /** Shows that the socket is private to its uid, and that a peer of another uid is refused even when it can connect. */
    @Test
    void aPeerOfAnotherUidIsRefused() throws Exception {
        assumeThat(Files.getAttribute(Path.of("/proc/self"), "unix:uid")).as("needs root to run a peer as uid 65534").isEqualTo(0);
        assumeThat(Path.of("/usr/bin/setpriv")).as("setpriv (util-linux)").exists();
        try (Echo echo = new Echo()) {
            int port = freePort();
            SluiceJar old = sluice(config("web", port, echo.tcpPort(), "TCP"));
            old.awaitLine("serving handovers on");
            Path socket = dir.resolve("handover.sock");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            // Let the other uid reach the socket at all, so the peer-credential check is what refuses it.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Process peer = new ProcessBuilder("/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", Path.of(UnixLines.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                    UnixLines.class.getName(), socket.toString(), "HELLO 1").redirectErrorStream(true).start();
            assertThat(peer.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String answer = new String(peer.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(answer).isEqualTo("REFUSED peer uid 65534 (expected: uid 0)");
            old.awaitLine("handover refused: peer pid \\d+ runs as uid 65534 \\(expected: uid 0\\)");
            assertThat(echoOnce(port)).isTrue();
        }
    }

    private SluiceJar sluice(Path config, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--config=" + config,
                "--handover-socket=" + dir.resolve("handover.sock"),
                "--healthz-bind-address=127.0.0.1:" + healthPort, "--metrics-bind-address=127.0.0.1:" + metricsPort));
        args.addAll(Arrays.asList(extra));
        try {
            SluiceJar sluice = SluiceJar.start(args.toArray(String[]::new));
            synchronized (started) {
                started.add(sluice);
            }
            return sluice;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path config(String name, int port, int backend, String protocol) throws IOException {
        Path file = Files.createTempFile(dir, "sluice", ".yaml");
        Files.writeString(file, "services:\n  - name: " + name + "\n    listen: \"127.0.0.1:" + port + "\"\n"
                + "    backends: [\"127.0.0.1:" + backend + "\"]\n    protocol: " + protocol + "\n");
        return file;
    }

    private Path config(Echo echo, List<String> names, List<Integer> ports) throws IOException {
        StringBuilder yaml = new StringBuilder("services:\n");
        for (int i = 0; i < names.size(); i++) {
            yaml.append("  - name: ").append(names.get(i)).append("\n    listen: \"127.0.0.1:").append(ports.get(i))
                    .append("\"\n    backends: [\"127.0.0.1:").append(echo.tcpPort()).append("\"]\n");
        }
        Path file = Files.createTempFile(dir, "sluice", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** Below the ephemeral range, so no process's bind to port 0 takes it before Sluice binds it. */
    private static int freePort() {
        return TestPorts.free();
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static boolean echo(Socket socket, String text) throws IOException {
        byte[] sent = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(sent);
        byte[] back = new byte[sent.length];
        new DataInputStream(socket.getInputStream()).readFully(back);
        return Arrays.equals(sent, back);
    }

    private static boolean echoOnce(int port) {
        try (Socket socket = connect(port)) {
            return echo(socket, "hello " + port);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean refused(int port) throws IOException {
        try (Socket socket = connect(port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        }
    }

    private static boolean ask(DatagramSocket client, String request) throws IOException {
        byte[] sent = request.getBytes(StandardCharsets.UTF_8);
        client.send(new DatagramPacket(sent, sent.length));
        byte[] buffer = new byte[512];
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
            try {
                client.receive(reply);
            } catch (SocketTimeoutException e) {
                return false;
            }
            // A late answer to an earlier try of another request is skipped.
            if (new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8).equals(request)) {
                return true;
            }
        }
        return false;
    }

    private static int status(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String get(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
