package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.config;
import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.SluiceJar;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sluice itself restarted with the same config, while a client keeps connecting. */
class SluiceRestartIT {
    private static final int MAX_PROBES = 20_000;

    @TempDir
    Path dir;

    /** What one connect attempt saw, and when it began. */
    record Probe(long began, String outcome) {
        boolean ok() {
            return outcome.equals("ok");
        }
    }

    /**
     * Connects are refused (or reset) only between the SIGTERM to the old process and the
     * "serving generation" line of the new one: before, and from that line on, every connect is
     * forwarded, so listeners are back as soon as the first table is.
     */
    @Test
    void connectsFailOnlyBetweenTheStopAndTheNewProcessReportingThatItServes() throws Exception {
        try (TestServers servers = new TestServers()) {
            TestServers.Server backend = servers.named("b");
            int port = freePort();
            Path file = config(dir.resolve("sluice.yaml"), service("web", port, "", backend));
            String[] args = {"run", "--config=" + file, "--healthz-bind-address=", "--metrics-bind-address=",
                "--shutdown-grace=2s"};
            List<Probe> probes = new CopyOnWriteArrayList<>();
            Thread prober = new Thread(() -> probe(loopback(port), probes), "prober");
            prober.setDaemon(true);

            long stoppedAt;
            SluiceJar.Line serving;
            try (SluiceJar first = SluiceJar.start(args)) {
                first.awaitLine("serving generation 1");
                prober.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> probes.stream().filter(Probe::ok).count() >= 20);
                stoppedAt = System.nanoTime();
                first.terminate();
                assertThat(first.awaitExit(Duration.ofSeconds(20))).isZero();
            }
            try (SluiceJar second = SluiceJar.start(args)) {
                serving = second.awaitLine("serving generation 1");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> probes.stream().filter(p -> p.ok() && p.began() > serving.nanos()).count() >= 20);
                prober.interrupt();
                prober.join(TimeUnit.SECONDS.toMillis(10));
            }
            List<Probe> outsideTheGap = probes.stream()
                    .filter(p -> !p.ok() && (p.began() < stoppedAt || p.began() > serving.nanos()))
                    .toList();
            assertThat(outsideTheGap).as("failed connects outside the restart").isEmpty();
            assertThat(probes.stream().filter(p -> !p.ok()).count()).as("connects refused during the restart")
                    .isPositive();
        }
    }

    /** Connects in a loop until interrupted (bounded), every 2 ms, recording each outcome. */
    private static void probe(InetSocketAddress frontend, List<Probe> probes) {
        for (int i = 0; i < MAX_PROBES && !Thread.currentThread().isInterrupted(); i++) {
            long began = System.nanoTime();
            String outcome;
            try (Socket socket = new Socket()) {
                socket.connect(frontend, 1000);
                socket.setSoTimeout(5000);
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                outcome = answer.equals("b") ? "ok" : "answer " + answer;
            } catch (ConnectException e) {
                outcome = "refused";
            } catch (IOException e) {
                outcome = e.toString();
            }
            probes.add(new Probe(began, outcome));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }
}
