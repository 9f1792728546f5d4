package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.config;
import static dev.sluice.proxy.reliability.Fixtures.connect;
import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.Fixtures.service;
import static dev.sluice.proxy.reliability.Fixtures.stillOpen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.cli.InProcessSluice;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backends that die or go silent under the whole proxy, started as {@code sluice run --config}. */
class BackendFaultsTest {
    private static final Duration EJECTION = Duration.ofSeconds(3);
    @AutoClose
    private static final TestServers servers = new TestServers();

    @TempDir
    Path dir;

    /**
     * One of three backends is killed under a load of short connections: connect retry hides it
     * from every client, its first failure ejects it, no connection is tried on it for the
     * ejection time (it is back up meanwhile and still gets nothing), and after that it serves
     * again.
     */
    @Test
    void aKilledBackendFailsNoClientIsEjectedForItsPeriodAndServesAgainAfterIt() throws Exception {
        TestServers.Server a = servers.named("a");
        TestServers.Server b = servers.named("b");
        TestServers.Server c = servers.named("c");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("web", port, "", a, b, c));
        try (InProcessSluice sluice = InProcessSluice.run("--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=127.0.0.1:0", "--ejection-failures=1", "--ejection-time=3s");
                ClientLoad load = ClientLoad.start(loopback(port), 4, 3_000, Duration.ofMillis(2))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> load.answeredBy("b") >= 20);

            // Killed between two connections: a backend dying under an established connection
            // resets it, which no L4 proxy can hide; the connects that follow are what is tested.
            long[] killedAt = new long[1];
            load.between(() -> {
                b.kill();
                killedAt[0] = System.nanoTime();
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> meter(sluice, "sluice_backend_ejections_total") == 1);
            double failures = meter(sluice, "sluice_backend_connect_failures_total");
            // At most one connect per client thread can have picked b before its failure was seen.
            assertThat(failures).isBetween(1.0, 4.0);

            b.start();
            long quietFor = killedAt[0] + EJECTION.toNanos() - System.nanoTime() - Duration.ofMillis(300).toNanos();
            assertThat(quietFor).as("time left in the ejection period").isGreaterThan(Duration.ofMillis(500).toNanos());
            await().during(Duration.ofNanos(quietFor)).atMost(Duration.ofNanos(quietFor).plusSeconds(1))
                    .until(() -> b.firstAcceptNanos() == 0
                            && meter(sluice, "sluice_backend_connect_failures_total") == failures);

            await().atMost(Duration.ofSeconds(10)).until(() -> b.firstAcceptNanos() != 0 && load.answeredBy("b") > 0);
            assertThat(b.firstAcceptNanos() - killedAt[0]).as("nanoseconds from the kill to b's next connection")
                    .isGreaterThanOrEqualTo(EJECTION.toNanos());
            assertThat(meter(sluice, "sluice_backend_ejections_total")).isEqualTo(1.0);
            assertThat(load.failures()).as("failed clients: %s", load.failureSamples()).isZero();
            assertThat(meter(sluice, "sluice_connections_refused_total")).isZero();
            assertThat(load.answers()).containsKeys("a", "b", "c");
        }
    }

    /** With --idle-timeout, a connection to a backend that never answers is closed after it, and counted. */
    @Test
    void anIdleTimeoutClosesAConnectionToASilentBackendAndCountsIt() throws Exception {
        TestServers.Server silent = servers.silent("silent");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("quiet", port, "", silent));
        try (InProcessSluice sluice = InProcessSluice.run("--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=127.0.0.1:0", "--idle-timeout=500ms");
                Socket client = connect(loopback(port))) {
            long connected = System.nanoTime();
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.open() == 1);
            client.setSoTimeout(10_000);
            assertThat(client.getInputStream().read()).as("end of stream").isEqualTo(-1);
            // The proxy's timer starts at its accept, a little before our connect returns.
            assertThat(System.nanoTime() - connected).isGreaterThanOrEqualTo(Duration.ofMillis(450).toNanos());
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.open() == 0);
            assertThat(meter(sluice, "sluice_connections_idle_timeouts_total")).isEqualTo(1.0);
        }
    }

    /** Without --idle-timeout (kube-proxy's behaviour) the same connection stays open well past that time. */
    @Test
    void withoutAnIdleTimeoutAConnectionToASilentBackendStaysOpen() throws Exception {
        TestServers.Server silent = servers.silent("silent");
        int port = freePort();
        Path file = config(dir.resolve("sluice.yaml"), service("quiet", port, "", silent));
        try (InProcessSluice sluice = InProcessSluice.run("--config=" + file, "--healthz-bind-address=",
                "--metrics-bind-address=127.0.0.1:0");
                Socket client = connect(loopback(port))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> silent.open() == 1);
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                    .until(() -> stillOpen(client) && silent.open() == 1);
            assertThat(meter(sluice, "sluice_connections_idle_timeouts_total")).isZero();
        }
    }

    private static double meter(InProcessSluice sluice, String name) {
        return Admin.sum(Admin.scrape(sluice.metricsAddress()), name);
    }
}
