package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.discovery.model.Addresses;
import dev.sluice.discovery.model.ServiceEntry;
import dev.sluice.discovery.translate.Explanation;
import dev.sluice.proxy.cli.ExplainCommandTest.Run;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The live process state end to end: a proxy started from a static file whose frontends are one
 * free port, one port this test occupies and one address that is not local; its {@code /status}
 * endpoint, and {@code sluice explain --status} reading it.
 */
class LiveStatusTest {
    private static final JsonMapper JSON = new JsonMapper();
    private static final String NOT_LOCAL = "198.18.0.10";

    @TempDir
    Path dir;

    private ServerSocket occupied;
    private int freePort;
    private int takenPort;
    private ProxyProcess process;
    private String url;

    @BeforeEach
    void start() throws Exception {
        occupied = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        takenPort = occupied.getLocalPort();
        freePort = NamedServers.freePort();
        Path config = Files.writeString(dir.resolve("sluice.yaml"), String.join("\n",
                "services:",
                "  - name: web",
                "    listen: \"127.0.0.1:" + freePort + "\"",
                "    backends: [\"127.0.0.1:9001\", \"127.0.0.1:9002\"]",
                "    balance: least-connections",
                "    maxConnections: 100",
                "    sessionAffinity: {timeoutSeconds: 60}",
                "    sourceRanges: [\"127.0.0.0/8\"]",
                "  - name: taken",
                "    listen: \"127.0.0.1:" + takenPort + "\"",
                "    backends: [\"127.0.0.1:9003\"]",
                "  - name: elsewhere",
                "    listen: \"" + NOT_LOCAL + ":80\"",
                "    backends: [\"127.0.0.1:9004\"]",
                ""));
        ProxyFlags flags = new ProxyFlags();
        new CommandLine(flags).parseArgs("--config=" + config, "--metrics-bind-address=127.0.0.1:0",
                "--healthz-bind-address=");
        process = ProxyProcess.start(flags, ServeMode.file(config));
        url = "http://" + Addresses.format(process.metricsAddress()) + "/status";
    }

    @AfterEach
    void stop() throws IOException {
        if (process != null) {
            process.close();
        }
        if (!occupied.isClosed()) {
            occupied.close();
        }
    }

    /** /status shows the table's generation and mode, the bound listener, and each bind failure with its reason. */
    @Test
    void statusListsBoundListenersAndBindFailuresWithTheirReasons() throws Exception {
        HttpResponse<String> response = get(url);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
        JsonNode root = JSON.readTree(response.body());
        assertThat(root.get("generation").asLong()).isEqualTo(process.table().generation()).isPositive();
        assertThat(root.get("mode").asString()).isEqualTo("file");
        assertThat(root.get("node").isNull()).isTrue();
        assertThat(names(root.get("services"))).containsExactly("elsewhere", "taken", "web");
        assertThat(root.get("listeners").get("bound").toString()).isEqualTo("[\"127.0.0.1:" + freePort + "\"]");
        JsonNode failures = root.get("listeners").get("bindFailures");
        assertThat(failures).hasSize(2);
        // The reason is the socket's own message; native transports prefix it with the failed call.
        assertThat(failures.get(0).get("reason").asString()).endsWith("Cannot assign requested address");
        assertThat(failures.get(1).get("reason").asString()).endsWith("Address already in use");
        assertThat(withoutReason(failures.get(0))).isEqualTo(JSON.readTree("""
                {"service": "elsewhere", "port": "", "protocol": "TCP", "frontend": "Listen %s:80",
                 "address": "%s:80"}
                """.formatted(NOT_LOCAL, NOT_LOCAL)));
        assertThat(withoutReason(failures.get(1))).isEqualTo(JSON.readTree("""
                {"service": "taken", "port": "", "protocol": "TCP", "frontend": "Listen 127.0.0.1:%d",
                 "address": "127.0.0.1:%d"}
                """.formatted(takenPort, takenPort)));
        assertThat(root.get("clusterIpInterface").isNull()).isTrue();
    }

    /** Each service object is exactly what `sluice explain` prints for the entry, plus the policy fields. */
    @Test
    void servicesHaveTheExplainShapeOfTheLiveEntries() throws Exception {
        JsonNode services = JSON.readTree(get(url).body()).get("services");

        List<ServiceEntry> entries = process.table().sortedEntries();
        for (int i = 0; i < entries.size(); i++) {
            ObjectNode service = (ObjectNode) services.get(i).deepCopy();
            service.remove(List.of("localEndpoints", "totalEndpoints", "policy"));
            assertThat(service).isEqualTo(JSON.readTree(Explanation.serviceJson(entries.get(i)).toString()));
        }
        assertThat(services.get(2).get("policy")).isEqualTo(JSON.readTree("""
                {"internalTrafficPolicy": "Cluster", "externalTrafficPolicy": "Cluster",
                 "sourceRanges": ["127.0.0.0/8"], "healthCheckNodePort": 0,
                 "balance": "least-connections", "maxConnections": 100, "metrics": false}
                """));
        assertThat(services.get(2).get("totalEndpoints").asInt()).isEqualTo(2);
    }

    /** A port freed later is bound by the periodic retry, and /status follows without a new table. */
    @Test
    void statusFollowsARetryThatSucceeds() throws Exception {
        occupied.close();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode listeners = JSON.readTree(get(url).body()).get("listeners");
            // Sorted by address, then port.
            assertThat(listeners.get("bound").toString()).isEqualTo("[\"127.0.0.1:" + Math.min(freePort, takenPort)
                    + "\",\"127.0.0.1:" + Math.max(freePort, takenPort) + "\"]");
            assertThat(listeners.get("bindFailures")).hasSize(1);
        });
    }

    /** `explain --status` prints the live document as JSON. */
    @Test
    void explainStatusPrintsTheLiveDocumentAsJson() throws Exception {
        Run run = ExplainCommandTest.run("--status", url);

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        JsonNode root = JSON.readTree(run.out());
        assertThat(root.get("generation").asLong()).isEqualTo(process.table().generation());
        assertThat(names(root.get("services"))).containsExactly("elsewhere", "taken", "web");
        assertThat(root.get("listeners").get("bindFailures").get(1).get("reason").asString())
                .endsWith("Address already in use");
    }

    /** `explain --status --output table` prints the explain table of the live entries, then listeners and failures. */
    @Test
    void explainStatusPrintsTheExplainTableAndTheBindFailures() throws Exception {
        Run run = ExplainCommandTest.run("--status", url, "--output", "table");

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .startsWith("generation: " + process.table().generation() + "   mode: file   node: (none)\n\n"
                        + Explanation.serviceTable(process.table().sortedEntries()))
                .contains("\nLISTENING\n127.0.0.1:" + freePort + "\n")
                .containsPattern("\nBIND FAILURES\nSERVICE +PORT +FRONTEND +ADDRESS +REASON\n"
                        + "elsewhere +-/TCP +Listen 198\\.18\\.0\\.10:80 +198\\.18\\.0\\.10:80 +(\\S.*: )?Cannot assign requested address\n"
                        + "taken +-/TCP +Listen 127\\.0\\.0\\.1:" + takenPort + " +127\\.0\\.0\\.1:" + takenPort
                        + " +(\\S.*: )?Address already in use\n")
                .endsWith("\nCLUSTER IP INTERFACE\n(not used)\n");
        assertThat(run.out()).contains("least-connections").contains("affinity ClientIP 60s")
                .contains("source ranges 127.0.0.0/8").contains("max connections 100");
    }

    /**
     * A page of the table holds its service ports and only the listeners and failures of their
     * frontends, with counts of all; {@code service=} keeps one Service; `explain --status` reads a page.
     */
    @Test
    void statusPagesThroughTheTableAndFiltersByService() throws Exception {
        JsonNode second = JSON.readTree(get(url + "?offset=1&limit=1").body());
        assertThat(second.get("total").asInt()).isEqualTo(3);
        assertThat(second.get("offset").asInt()).isEqualTo(1);
        assertThat(names(second.get("services"))).containsExactly("taken");
        assertThat(second.get("listeners").get("bound")).isEmpty();
        assertThat(second.get("listeners").get("boundCount").asInt()).isEqualTo(1);
        assertThat(second.get("listeners").get("bindFailures")).hasSize(1);
        assertThat(second.get("listeners").get("bindFailures").get(0).get("service").asString()).isEqualTo("taken");
        assertThat(second.get("listeners").get("bindFailureCount").asInt()).isEqualTo(2);

        JsonNode web = JSON.readTree(get(url + "?service=web").body());
        assertThat(names(web.get("services"))).containsExactly("web");
        assertThat(web.get("listeners").get("bound").toString()).isEqualTo("[\"127.0.0.1:" + freePort + "\"]");
        assertThat(web.get("listeners").get("bindFailures")).isEmpty();

        Run run = ExplainCommandTest.run("--status", url + "?limit=2", "--output", "table");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("service ports 1-2 of 3 (next page: add ?offset=2 to the URL)\n")
                .contains("elsewhere").contains("taken").doesNotContain("least-connections");
    }

    /** Nothing listening at the URL: one line naming it, the reason and what was expected; exit 1. */
    @Test
    void unreachableStatusIsOneLineError() throws Exception {
        String closed = "http://127.0.0.1:" + NamedServers.freePort() + "/status";

        Run run = ExplainCommandTest.run("--status", closed);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("sluice explain: status: " + closed
                + ": Connection refused (expected: a running sluice with --metrics-bind-address)"
                + System.lineSeparator());
    }

    /** A malformed URL, a page that is not a status document, and a second source are refused in one line. */
    @Test
    void badStatusInputIsOneLineError() throws Exception {
        assertThat(ExplainCommandTest.run("--status", "localhost:10249").err()).isEqualTo(
                "sluice explain: --status: \"localhost:10249\" (expected: an http URL such as "
                        + "http://127.0.0.1:10249/status)" + System.lineSeparator());
        String metrics = url.replace("/status", "/metrics");
        Run notStatus = ExplainCommandTest.run("--status", metrics);
        assertThat(notStatus.exitCode()).isEqualTo(1);
        assertThat(notStatus.err()).isEqualTo("sluice explain: status: " + metrics + ": not JSON (expected: the "
                + "/status endpoint of a running sluice, e.g. http://127.0.0.1:10249/status)" + System.lineSeparator());
        Run missing = ExplainCommandTest.run("--status", url.replace("/status", "/nothing"));
        assertThat(missing.err()).contains(": HTTP 404 (expected: the /status endpoint").hasLineCount(1);
        Run twoSources = ExplainCommandTest.run("--status", url, "--manifests", "x.yaml");
        assertThat(twoSources.err()).contains("--status and --manifests: both given (expected: one source)");
    }

    private static JsonNode withoutReason(JsonNode failure) {
        ObjectNode copy = (ObjectNode) failure.deepCopy();
        copy.remove("reason");
        return copy;
    }

    private static List<String> names(JsonNode services) {
        List<String> names = new ArrayList<>();
        services.forEach(s -> names.add(s.get("name").asString()));
        return names;
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
