package dev.sluice.proxy.reliability;

import static dev.sluice.proxy.reliability.Fixtures.freePort;
import static dev.sluice.proxy.reliability.Fixtures.loopback;
import static dev.sluice.proxy.reliability.MockApi.NODE;
import static dev.sluice.proxy.reliability.MockApi.nodePortService;
import static dev.sluice.proxy.reliability.MockApi.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.BackendTable;
import dev.sluice.proxy.cli.InProcessSluice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API server goes away under load, the cluster changes meanwhile, and it comes back. */
class ApiServerOutageTest {

    @TempDir
    Path dir;

    /**
     * While the API server is down, every connection is still forwarded on the last table; once
     * it is back on the same port (answering the informers' resumed watches with 410 Gone, as a
     * real one does), the endpoint added and the one removed meanwhile reach the data path.
     */
    @Test
    void forwardingContinuesOnTheLastTableDuringTheOutageAndTheTableConvergesAfterIt() throws Exception {
        try (TestServers servers = new TestServers(); MockApi api = MockApi.start()) {
            int backendPort = freePort();
            for (String ip : List.of("127.0.0.11", "127.0.0.12", "127.0.0.13")) {
                servers.named(ip, ip, backendPort);
            }
            int nodePort = freePort();
            KubernetesClient client = api.client();
            client.resource(nodePortService("web", "198.18.0.10", nodePort)).create();
            client.resource(slice("web", "web-1", backendPort, List.of("127.0.0.11"))).create();
            client.resource(slice("web", "web-2", backendPort, List.of("127.0.0.12"))).create();

            try (InProcessSluice sluice = InProcessSluice.run("--kubeconfig=" + api.kubeconfig(dir),
                    "--hostname-override=" + NODE, "--nodeport-addresses=127.0.0.1/32", "--healthz-bind-address=",
                    "--metrics-bind-address=", "--sync-timeout=20s");
                    ClientLoad load = ClientLoad.start(loopback(nodePort), 4, 25_000, Duration.ofMillis(5))) {
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> load.answeredBy("127.0.0.11") > 10 && load.answeredBy("127.0.0.12") > 10);
                BackendTable before = sluice.table();
                int port = api.port();

                api.stop();
                long duringOutage = load.successes();
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> load.failures() == 0);
                assertThat(load.successes()).as("connections forwarded while the API server is down")
                        .isGreaterThan(duringOutage + 50);

                // Another server with the same state stands in for the cluster changing while this
                // node cannot reach it; the proxy keeps knocking on the old port meanwhile.
                // A deleted slice is what only a relist reveals.
                api.startOn(0);
                KubernetesClient meanwhile = api.client();
                meanwhile.resource(slice("web", "web-1", backendPort, List.of("127.0.0.11"))).delete();
                meanwhile.resource(slice("web", "web-3", backendPort, List.of("127.0.0.13"))).create();
                api.stop();
                assertThat(sluice.table()).isSameAs(before);

                api.expireWatches();
                api.startOn(port);
                await().atMost(Duration.ofSeconds(60)).until(() -> endpoints(sluice.table(), "web"),
                        ips -> ips.equals(Set.of("127.0.0.12", "127.0.0.13")));
                await().atMost(Duration.ofSeconds(10)).until(() -> load.answeredBy("127.0.0.13") > 10);
                long removed = load.answeredBy("127.0.0.11");
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                        .until(() -> load.answeredBy("127.0.0.11") == removed);
                assertThat(load.failures()).as("failed clients: %s", load.failureSamples()).isZero();
            }
        }
    }

    static Set<String> endpoints(BackendTable table, String service) {
        return table.entries().stream()
                .filter(entry -> entry.key().name().equals(service))
                .flatMap(entry -> entry.internalEndpoints().stream())
                .map(backend -> backend.address().getAddress().getHostAddress())
                .collect(Collectors.toSet());
    }
}
