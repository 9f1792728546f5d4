package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.config;
import static dev.sluice.proxy.reliability.Fixtures.connect;
import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.cli.InProcessSluice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** More connections than allowed, and a burst far beyond any limit. */
class OverloadTest {
    private static final int BURST = 20_000;
    private static final int BURST_THREADS = 8;
    private static final long HEAP_GROWTH_LIMIT = 64L << 20;
    private static final long DIRECT_GROWTH_LIMIT = 32L << 20;
    @AutoClose
    private static final TestServers servers = new TestServers();

    @TempDir
    Path dir;

    /**
     * With {@code --max-connections=4} and a service limited to 2 ({@code maxConnections: 2}),
     * the connection beyond either limit is reset at once, counted with reason=limit on its
     * service (both ask for series of their own with {@code metrics: true}), and the admitted ones
     * are untouched.
     */
    @Test
    void aConnectionBeyondTheGlobalOrTheServiceLimitIsResetAtOnceAndCounted() throws Exception {
        TestServers.Server held = servers.silent("held");
        int open = freePort();
        int capped = freePort();
        Path file = config(dir.resolve("sluice.yaml"),
                service("open", open, "    metrics: true\n", held),
                service("capped", capped, "    maxConnections: 2\n    metrics: true\n", held));
        List<Socket> admitted = new ArrayList<>();
        try (InProcessSluice sluice = InProcessSluice.run("--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=127.0.0.1:0", "--max-connections=4")) {
            admitted.add(connect(loopback(capped)));
            admitted.add(connect(loopback(capped)));
            await().atMost(Duration.ofSeconds(5)).until(() -> held.open() == 2);
            assertResetAtOnce(loopback(capped));
            assertThat(refused(sluice, "capped")).isEqualTo(1.0);

            admitted.add(connect(loopback(open)));
            admitted.add(connect(loopback(open)));
            await().atMost(Duration.ofSeconds(5)).until(() -> held.open() == 4);
            assertResetAtOnce(loopback(open));
            assertThat(refused(sluice, "open")).isEqualTo(1.0);
            assertThat(refused(sluice, "capped")).isEqualTo(1.0);

            for (Socket socket : admitted) {
                assertThat(Fixtures.stillOpen(socket)).isTrue();
            }
            assertThat(held.open()).isEqualTo(4);
        } finally {
            for (Socket socket : admitted) {
                socket.close();
            }
        }
    }

    /** The reset may already arrive during the connect, since the proxy resets right after accepting. */
    private static void assertResetAtOnce(InetSocketAddress frontend) {
        long began = System.nanoTime();
        assertThatThrownBy(() -> {
            try (Socket socket = connect(frontend)) {
                socket.setSoTimeout(2000);
                socket.getInputStream().read();
            }
        }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        assertThat(System.nanoTime() - began).as("nanoseconds to the reset").isLessThan(TimeUnit.SECONDS.toNanos(1));
    }

    /**
     * 20,000 connection attempts from 8 threads (each connects, then resets) against limits of
     * 100 in all and 50 for the service: afterwards the process answers /livez, forwards a new
     * connection, and holds no more heap (after GC) or direct memory than generous bounds allow.
     */
    @Test
    void aBurstOf20000ConnectionsLeavesTheProcessServingWithMemoryBounded() throws Exception {
        TestServers.Server backend = servers.named("b");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("web", port, "    maxConnections: 50\n", backend));
        try (InProcessSluice sluice = InProcessSluice.run("--config=" + file, "--healthz-bind-address=127.0.0.1:0",
                "--metrics-bind-address=127.0.0.1:0", "--max-connections=100")) {
            assertThat(ask(loopback(port))).isEqualTo("b");
            Memory start = Memory.measure();

            AtomicInteger failed = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < BURST_THREADS; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < BURST / BURST_THREADS; i++) {
                        try (Socket socket = new Socket()) {
                            // A reset on close leaves no TIME_WAIT behind on the client's side.
                            socket.setSoLinger(true, 0);
                            socket.connect(loopback(port), 1000);
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        }
                    }
                }, "burst-" + t);
                thread.setDaemon(true);
                threads.add(thread);
            }
            threads.forEach(Thread::start);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(120));
                assertThat(thread.isAlive()).as("%s still running", thread.getName()).isFalse();
            }
            assertThat(failed.get()).as("connects that failed").isLessThan(BURST / 100);

            assertThat(Admin.get(Admin.url(sluice.healthAddress(), "/livez")).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> meter(sluice, "sluice_connections_active") == 0);
            assertThat(ask(loopback(port))).isEqualTo("b");
            assertThat(meter(sluice, "sluice_connections_accepted_total")).isGreaterThanOrEqualTo(BURST - failed.get());

            Memory end = Memory.measure();
            assertThat(end.heapAfterGc() - start.heapAfterGc()).as("heap growth, bytes (start %s, end %s)", start, end)
                    .isLessThan(HEAP_GROWTH_LIMIT);
            assertThat(end.direct() - start.direct()).as("direct memory growth, bytes (start %s, end %s)", start, end)
                    .isLessThan(DIRECT_GROWTH_LIMIT);
        }
    }

    private static String ask(InetSocketAddress address) throws IOException {
        try (Socket socket = connect(address)) {
            socket.setSoTimeout(5000);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static double refused(InProcessSluice sluice, String service) {
        return Admin.sum(Admin.scrape(sluice.metricsAddress()), "sluice_service_connections_refused_total",
                "service", service, "reason", "limit");
    }

    private static double meter(InProcessSluice sluice, String name) {
        return Admin.sum(Admin.scrape(sluice.metricsAddress()), name);
    }
}
