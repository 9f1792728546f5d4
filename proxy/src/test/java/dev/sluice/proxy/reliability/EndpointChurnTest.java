package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.MockApi.NODE;
import static dev.sluice.proxy.reliability.MockApi.nodePortService;
import static dev.sluice.proxy.reliability.MockApi.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.proxy.cli.InProcessSluice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An EndpointSlice rewritten every 100 ms under load, through the mock API server and the
 * informers, as a rolling deployment or a crash-looping pod would. Runs 30 s in CI; set
 * {@code -Dsluice.soak=600s} (or {@code 10m}) for a soak outside it.
 */
class EndpointChurnTest {
    private static final Duration CHURN = soakDuration();
    private static final Duration TICK = Duration.ofMillis(100);
    /** Endpoint sets the churned slice cycles through: live ones, none, and one nobody listens on. */
    private static final List<List<String>> CYCLE = List.of(
            List.of("127.0.0.13"),
            List.of("127.0.0.13", "127.0.0.14"),
            List.of(),
            List.of("127.0.0.14", "127.0.0.20"),
            List.of("127.0.0.20"),
            List.of("127.0.0.14"));
    private static final long HEAP_GROWTH_LIMIT = 64L << 20;
    private static final long DIRECT_GROWTH_LIMIT = 32L << 20;

    @TempDir
    Path dir;

    /**
     * No client fails while half the endpoints churn (connects to the endpoint that is gone or
     * never listened are retried on the others), Netty reports no leaked buffer, and heap after
     * GC and direct memory end where they began, give or take a generous margin.
     */
    @Test
    void endpointsChangingEvery100msUnderLoadFailNoClientLeakNothingAndKeepMemoryFlat() throws Exception {
        ScheduledExecutorService churn = Executors.newSingleThreadScheduledExecutor();
        SoftAssertions softly = new SoftAssertions();
        try (LogCapture log = new LogCapture(); TestServers servers = new TestServers(); MockApi api = MockApi.start()) {
            int backendPort = freePort();
            for (String ip : List.of("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14")) {
                servers.named(ip, ip, backendPort);
            }
            int nodePort = freePort();
            KubernetesClient client = api.client();
            client.resource(nodePortService("web", "198.18.0.10", nodePort)).create();
            client.resource(slice("web", "web-stable", backendPort, List.of("127.0.0.11", "127.0.0.12"))).create();
            client.resource(slice("web", "web-churn", backendPort, CYCLE.get(0))).create();

            try (InProcessSluice sluice = InProcessSluice.run("--kubeconfig=" + api.kubeconfig(dir),
                    "--hostname-override=" + NODE, "--nodeport-addresses=127.0.0.1/32", "--healthz-bind-address=",
                    "--metrics-bind-address=", "--ejection-time=200ms");
                    ClientLoad load = ClientLoad.start(loopback(nodePort), 4, Integer.MAX_VALUE, Duration.ofMillis(5))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> load.successes() > 400);
                Memory start = Memory.measure();
                long generation = sluice.table().generation();

                AtomicInteger ticks = new AtomicInteger();
                churn.scheduleAtFixedRate(() -> {
                    int tick = ticks.incrementAndGet();
                    client.resource(slice("web", "web-churn", backendPort, CYCLE.get(tick % CYCLE.size()))).update();
                }, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
                await().during(CHURN).atMost(CHURN.plusSeconds(5)).pollInterval(Duration.ofMillis(500))
                        .until(() -> load.failures() == 0);
                churn.shutdown();
                assertThat(churn.awaitTermination(5, TimeUnit.SECONDS)).isTrue();

                assertThat(load.failures()).as("failed clients: %s", load.failureSamples()).isZero();
                assertThat(ticks.get()).as("slice updates").isGreaterThan((int) (CHURN.toMillis() / TICK.toMillis() / 2));
                assertThat(sluice.table().generation() - generation).as("tables published").isGreaterThan(ticks.get() / 4);
                assertThat(load.answers()).containsKeys("127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14");
                await().atMost(Duration.ofSeconds(10)).until(() -> ApiServerOutageTest.endpoints(sluice.table(), "web"),
                        ips -> ips.containsAll(Set.of("127.0.0.11", "127.0.0.12")));

                Memory end = Memory.measure();
                LoggerFactory.getLogger(EndpointChurnTest.class).info(
                        "churn {}: {} slice updates, {} tables, {} connections; memory at start {}, at end {}",
                        CHURN, ticks.get(), sluice.table().generation() - generation, load.successes(), start, end);
                softly.assertThat(end.heapAfterGc() - start.heapAfterGc())
                        .as("heap growth, bytes (start %s, end %s)", start, end).isLessThan(HEAP_GROWTH_LIMIT);
                softly.assertThat(end.direct() - start.direct())
                        .as("direct memory growth, bytes (start %s, end %s)", start, end).isLessThan(DIRECT_GROWTH_LIMIT);
            }
            // A leaked buffer is reported when a later allocation finds it collected.
            for (int round = 0; round < 5; round++) {
                System.gc();
                ByteBufAllocator.DEFAULT.directBuffer(64).release();
                ByteBufAllocator.DEFAULT.heapBuffer(64).release();
            }
            softly.assertThat(log.linesContaining("LEAK:")).as("Netty leak reports").isEmpty();
            softly.assertAll();
        } finally {
            churn.shutdownNow();
        }
    }

    private static Duration soakDuration() {
        String value = System.getProperty("sluice.soak", "30s").trim();
        long amount = Long.parseLong(value.replaceAll("[a-z]+$", ""));
        return value.endsWith("m") ? Duration.ofMinutes(amount) : Duration.ofSeconds(amount);
    }
}
