package dev.sluice.proxy.listen;

import static dev.sluice.proxy.listen.Proxy.freePort;
import static dev.sluice.proxy.listen.Proxy.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Backend;
import dev.sluice.discovery.model.Balance;
import dev.sluice.discovery.model.Cidr;
import dev.sluice.discovery.model.ServicePolicy;
import dev.sluice.discovery.model.SessionAffinity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/** TCP forwarding through a {@link ListenerSet} on loopback: balancing, retries, refusals, limits, timeouts. */
class TcpForwardingTest {
    @AutoClose
    private static final TestBackends backends = new TestBackends();

    private static ServicePolicy policy(Balance balance) {
        return new ServicePolicy(false, false, null, List.of(), 0, balance, 0);
    }

    private static String greeting(int port) throws IOException {
        try (Client client = Client.connect(port)) {
            return client.readLine();
        }
    }

    /** Shows that N sequential connections over k backends give each backend N/k ± 1. */
    @Test
    void roundRobinSpreadsConnectionsEvenly() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withEventLoopThreads(2));
                TestBackends.Server a = backends.tcp("a"); TestBackends.Server b = backends.tcp("b");
                TestBackends.Server c = backends.tcp("c")) {
            proxy.publish(tcp("rr", port, ServicePolicy.DEFAULT, a.backend(), b.backend(), c.backend()));
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 31; i++) {
                seen.merge(greeting(port), 1, Integer::sum);
            }
            assertThat(seen).containsOnlyKeys("a", "b", "c");
            assertThat(seen.values()).allSatisfy(n -> assertThat(n).isBetween(31 / 3 - 1, 31 / 3 + 1));
            assertThat(proxy.count("sluice.connections.accepted", "rr")).isEqualTo(31);
        }
    }

    /** Shows that least-connections sends new connections to the backend with fewest open ones. */
    @Test
    void leastConnectionsPrefersTheIdleBackend() throws IOException {
        int port = freePort();
        List<Client> held = new ArrayList<>();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                TestBackends.Server a = backends.tcp("a"); TestBackends.Server b = backends.tcp("b")) {
            proxy.publish(tcp("lc", port, policy(Balance.LEAST_CONNECTIONS), a.backend(), b.backend()));
            Map<String, List<Client>> byBackend = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                Client client = Client.connect(port);
                held.add(client);
                byBackend.computeIfAbsent(client.readLine(), k -> new ArrayList<>()).add(client);
            }
            assertThat(byBackend.get("a")).hasSize(2);
            byBackend.get("a").forEach(Client::close);
            await().until(() -> proxy.listeners.activeConnections() == 2);

            // a has 0 open, b has 2: both new connections go to a, where round robin would alternate.
            for (int i = 0; i < 2; i++) {
                Client client = Client.connect(port);
                held.add(client);
                assertThat(client.readLine()).isEqualTo("a");
            }
        } finally {
            held.forEach(Client::close);
        }
    }

    /** Shows that with one backend refusing connections, 100 clients in a row all get through. */
    @Test
    void deadBackendIsRetriedOnAnotherWithoutClientFailures() throws IOException {
        int port = freePort();
        Backend dead = Backend.of("127.0.0.1", freePort());
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withEjection(1, Duration.ZERO));
                TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(tcp("retry", port, ServicePolicy.DEFAULT, dead, a.backend()));
            for (int i = 0; i < 100; i++) {
                assertThat(greeting(port)).isEqualTo("a");
            }
            // Without ejection every other first pick is the dead backend: each one is retried.
            assertThat(proxy.count("sluice.backend.connect.failures", "retry")).isEqualTo(50);
            assertThat(proxy.count("sluice.backend.connect.retries", "retry")).isEqualTo(50);
        }
    }

    /** Shows that a client is reset when every backend refuses, and the refusal is counted. */
    @Test
    void allBackendsDownResetsTheClient() {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT)) {
            proxy.publish(tcp("down", port, ServicePolicy.DEFAULT, Backend.of("127.0.0.1", freePort()),
                    Backend.of("127.0.0.1", freePort())));
            Client.assertReset(port);
            assertThat(proxy.count("sluice.backend.connect.failures", "down")).isEqualTo(2);
            assertThat(proxy.count("sluice.connections.refused", "down", "reason", "backends_unreachable")).isEqualTo(1);
        }
    }

    /** Shows that a service without endpoints resets clients at once and counts no_endpoints. */
    @Test
    void noEndpointsResetsAndCounts() {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT)) {
            proxy.publish(tcp("empty", port, ServicePolicy.DEFAULT));
            Client.assertReset(port);
            assertThat(proxy.count("sluice.connections.refused", "empty", "reason", "no_endpoints")).isEqualTo(1);
        }
    }

    /** Shows that a client that shuts its output still receives the backend's whole answer, sent after the FIN. */
    @Test
    void halfCloseIsCarriedBothWays() throws IOException {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(tcp("half", port, ServicePolicy.DEFAULT, a.backend()));
            try (Client client = Client.connect(port)) {
                assertThat(client.readLine()).isEqualTo("a");
                client.write("hello\n");
                client.socket.shutdownOutput();
                assertThat(client.readRest()).isEqualTo("hello\nbye\n");
            }
            await().until(() -> proxy.listeners.activeConnections() == 0);
        }
    }

    /**
     * Shows that when the backend ends its output first, the client sees the end, can still send,
     * and the backend receives all of it before its own end of input.
     */
    @Test
    void backendHalfCloseLeavesTheClientSending() throws Exception {
        int port = freePort();
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
                try (Socket accepted = server.accept()) {
                    accepted.getOutputStream().write("done\n".getBytes(StandardCharsets.UTF_8));
                    accepted.shutdownOutput();
                    return new String(accepted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Backend backend = new Backend(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
            proxy.publish(tcp("server-first", port, ServicePolicy.DEFAULT, backend));
            try (Client client = Client.connect(port)) {
                assertThat(client.readRest()).isEqualTo("done\n");
                client.write("late\n");
                client.write("later\n");
                client.socket.shutdownOutput();
                assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("late\nlater\n");
            }
            await().until(() -> proxy.listeners.activeConnections() == 0);
        }
    }

    /** Shows that source ranges admit clients inside them and reset (and count) clients outside, on a Listen frontend. */
    @Test
    void sourceRangesAdmitAndRefuse() throws IOException {
        int port = freePort();
        ServicePolicy onlyLocalhost = new ServicePolicy(false, false, null, List.of(Cidr.parse("127.0.0.1/32")), 0,
                Balance.ROUND_ROBIN, 0);
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT); TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(tcp("ranges", port, onlyLocalhost, a.backend()));
            try (Client inside = Client.connect(port, InetAddress.getByName("127.0.0.1"))) {
                assertThat(inside.readLine()).isEqualTo("a");
            }
            Client.assertReset(port, InetAddress.getByName("127.0.0.2"));
            assertThat(proxy.count("sluice.connections.refused", "ranges", "reason", "source_range")).isEqualTo(1);
            assertThat(a.accepted().get()).isEqualTo(1);
        }
    }

    /** Shows that affinity keeps a client IP on one backend, and moves it (and re-pins) when that backend stops answering. */
    @Test
    void affinityPinsAndRepicksOnFailedDial() throws IOException {
        int port = freePort();
        ServicePolicy sticky = new ServicePolicy(false, false, new SessionAffinity(60), List.of(), 0,
                Balance.ROUND_ROBIN, 0);
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT);
                TestBackends.Server a = backends.tcp("a"); TestBackends.Server b = backends.tcp("b")) {
            proxy.publish(tcp("sticky", port, sticky, a.backend(), b.backend()));
            String pinned = greeting(port);
            for (int i = 0; i < 10; i++) {
                assertThat(greeting(port)).isEqualTo(pinned);
            }
            TestBackends.Server pinnedServer = pinned.equals("a") ? a : b;
            String other = pinned.equals("a") ? "b" : "a";
            pinnedServer.close();
            for (int i = 0; i < 10; i++) {
                assertThat(greeting(port)).isEqualTo(other);
            }
            assertThat(proxy.count("sluice.backend.connect.failures", "sticky")).isEqualTo(1);
        }
    }

    /** Shows that a backend whose connect failed is skipped for the ejection time, then tried (and used) again. */
    @Test
    void ejectedBackendIsSkippedThenRetried() throws IOException {
        int port = freePort();
        int deadPort = freePort();
        // Ten connections must fit in one ejection: about 0.2 s on a loaded two-core machine, so 2 s leaves room.
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withEjection(1, Duration.ofSeconds(2)));
                TestBackends.Server b = backends.tcp("b")) {
            proxy.publish(tcp("eject", port, ServicePolicy.DEFAULT, Backend.of("127.0.0.1", deadPort), b.backend()));
            for (int i = 0; i < 10; i++) {
                assertThat(greeting(port)).isEqualTo("b");
            }
            // One failed connect ejected it; the other nine connections did not try it.
            assertThat(proxy.count("sluice.backend.connect.failures", "eject")).isEqualTo(1);
            assertThat(proxy.count("sluice.backend.ejections", "eject")).isEqualTo(1);

            try (TestBackends.Server a = backends.tcp("a", deadPort)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> greeting(port).equals("a"));
            }
        }
    }

    /** Shows that connections beyond the global and the per-service limits are reset and counted as limit. */
    @Test
    void maxConnectionsResetsTheExcess() throws IOException {
        int globalPort = freePort();
        int servicePort = freePort();
        ServicePolicy one = new ServicePolicy(false, false, null, List.of(), 0, Balance.ROUND_ROBIN, 1);
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withMaxConnections(3));
                TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(tcp("global", globalPort, ServicePolicy.DEFAULT, a.backend()),
                    tcp("single", servicePort, one, a.backend()));
            try (Client first = Client.connect(servicePort)) {
                assertThat(first.readLine()).isEqualTo("a");
                Client.assertReset(servicePort);
                assertThat(proxy.count("sluice.connections.refused", "single", "reason", "limit")).isEqualTo(1);

                try (Client g1 = Client.connect(globalPort); Client g2 = Client.connect(globalPort)) {
                    assertThat(g1.readLine()).isEqualTo("a");
                    assertThat(g2.readLine()).isEqualTo("a");
                    Client.assertReset(globalPort);
                    assertThat(proxy.count("sluice.connections.refused", "global", "reason", "limit")).isEqualTo(1);
                }
            }
            await().until(() -> proxy.listeners.activeConnections() == 0);
            assertThat(greeting(servicePort)).isEqualTo("a");
        }
    }

    /** Shows that a connection without traffic either way is closed after the idle timeout, and counted. */
    @Test
    void idleConnectionsAreClosed() throws IOException {
        int port = freePort();
        // The echo below must happen within one idle timeout even when the test thread waits for a core.
        try (Proxy proxy = new Proxy(ProxyOptions.DEFAULT.withIdleTimeout(Duration.ofSeconds(1)));
                TestBackends.Server a = backends.tcp("a")) {
            proxy.publish(tcp("idle", port, ServicePolicy.DEFAULT, a.backend()));
            try (Client client = Client.connect(port)) {
                assertThat(client.readLine()).isEqualTo("a");
                client.write("still here\n");
                assertThat(client.readLine()).isEqualTo("still here");
                assertThat(client.readLine()).isNull();
            }
            assertThat(proxy.count("sluice.connections.idle.timeouts", "idle")).isEqualTo(1);
        }
    }
}
