package dev.sluice.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.sluice.discovery.model.Addresses;
import dev.sluice.proxy.cli.ExplainCommandTest.Run;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * IPv6 addresses written out in full in a config are read back in RFC 5952 form everywhere a
 * running proxy shows them: {@code /status} as JSON and as {@code explain --status} prints it,
 * its log lines and its metrics.
 */
class StatusAddressFormTest {
    private static final JsonMapper JSON = new JsonMapper();

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private ProxyProcess process;
    private int port;
    private String metrics;

    @BeforeEach
    void start() throws Exception {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(Addresses.parseIp("::1"), 0));
            port = probe.getLocalPort();
        } catch (IOException e) {
            assumeThat(e).as("IPv6 loopback ::1 is needed").isNull();
        }
        Path config = Files.writeString(dir.resolve("sluice.yaml"), String.join("\n",
                "services:",
                "  - name: web6",
                "    listen: [\"[0:0:0:0:0:0:0:1]:" + port + "\", \"[FD00:0:0:0:0:0:0:6]:80\"]",
                "    backends: [\"[fd00:1:0:0:0:0:0:1]:8080\", \"[fd00:1::2]:8080\"]",
                "    sourceRanges: [\"fd00:0:0:0:0:0:0:0/8\"]",
                "    metrics: true",
                ""));
        logs.setContext(root.getLoggerContext());
        logs.start();
        root.addAppender(logs);
        ProxyFlags flags = new ProxyFlags();
        new CommandLine(flags).parseArgs("--config=" + config, "--metrics-bind-address=[::1]:0",
                "--healthz-bind-address=");
        process = ProxyProcess.start(flags, ServeMode.file(config));
        assertThat(process.metricsAddress().getAddress()).isInstanceOf(Inet6Address.class);
        metrics = "http://" + Addresses.format(process.metricsAddress());
    }

    @AfterEach
    void stop() {
        root.detachAppender(logs);
        logs.stop();
        if (process != null) {
            process.close();
        }
    }

    @Test
    void statusPrintsEveryAddressInItsShortForm() throws Exception {
        JsonNode status = JSON.readTree(get(metrics + "/status"));

        JsonNode web = status.get("services").get(0);
        assertThat(web.get("frontends")).extracting(f -> f.get("address").asString()).containsExactly("::1", "fd00::6");
        assertThat(web.get("internalEndpoints").toString()).isEqualTo("[\"[fd00:1::1]:8080\",\"[fd00:1::2]:8080\"]");
        assertThat(web.get("policy").get("sourceRanges").toString()).isEqualTo("[\"fd00::/8\"]");
        assertThat(status.get("listeners").get("bound").toString()).isEqualTo("[\"[::1]:" + port + "\"]");
        JsonNode failure = status.get("listeners").get("bindFailures").get(0);
        assertThat(failure.get("frontend").asString()).isEqualTo("Listen [fd00::6]:80");
        assertThat(failure.get("address").asString()).isEqualTo("[fd00::6]:80");
    }

    @Test
    void explainStatusTablePrintsTheShortFormWithBrackets() {
        Run run = ExplainCommandTest.run("--status", metrics + "/status", "--output", "table");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Listen [::1]:" + port, "Listen [fd00::6]:80", "[fd00:1::1]:8080",
                "source ranges fd00::/8", "\nLISTENING\n[::1]:" + port + "\n").doesNotContain("0:0:0");
    }

    @Test
    void logLinesAndMetricsPrintTheShortForm() throws Exception {
        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();

        assertThat(lines).contains("[web6] listening on TCP [::1]:" + port + " (Listen [::1]:" + port + ")")
                .anySatisfy(line -> assertThat(line).startsWith(
                        "[web6] cannot listen on TCP [fd00::6]:80 (Listen [fd00::6]:80): "))
                .anySatisfy(line -> assertThat(line).contains("metrics on [::1]:"))
                .noneSatisfy(line -> assertThat(line).contains("0:0:0"));
        assertThat(get(metrics + "/metrics")).contains("service=\"web6\"").doesNotContain("0:0:0");
    }

    private static String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
