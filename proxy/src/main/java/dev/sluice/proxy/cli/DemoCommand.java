package dev.sluice.proxy.cli;

import dev.sluice.discovery.model.Addresses;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sluice demo}: three HTTP backends on loopback and Sluice in front of them, from an
 * embedded config written to a temporary file (so a newcomer can edit it and watch hot reload).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Start three tiny HTTP backends on loopback and Sluice in front of them.",
            "Everything stops with Ctrl-C."})
public final class DemoCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:8080",
            description = "Where the demo service listens (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--backend-count", paramLabel = "N", defaultValue = "3",
            description = "How many backends to start (default: ${DEFAULT-VALUE}).")
    int backendCount;

    @Option(names = "--check", description = {"Start on free loopback ports, send requests through the demo until every",
            "backend answered, print which did and exit: 0 when all did, 1 otherwise."})
    boolean check;

    @Mixin
    ProxyFlags flags;

    @Override
    public Integer call() throws Exception {
        Logging.apply(flags);
        if (backendCount < 1 || backendCount > 16) {
            throw new IllegalArgumentException("backend-count: " + backendCount + " (expected: 1..16)");
        }
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (check) {
            // A check runs beside whatever else is running here, a demo included: any free port.
            if (!parsed.hasMatchedOption("--listen")) {
                listen = "127.0.0.1:" + DemoCheck.freePort();
            }
            if (!parsed.hasMatchedOption("--metrics-bind-address")) {
                flags.metricsBindAddress = "127.0.0.1:0";
            }
        }
        if (!parsed.hasMatchedOption("--healthz-bind-address")) {
            flags.healthzBindAddress = check ? "127.0.0.1:0" : "127.0.0.1:10256";
        }
        Path dir = Files.createTempDirectory("sluice-demo-");
        try (DemoBackends backends = DemoBackends.start(backendCount)) {
            Path config = dir.resolve("sluice.yaml");
            Files.writeString(config, config(backends), StandardCharsets.UTF_8);
            flags.config = config;
            ProxyProcess process = ProxyProcess.start(flags, ServeMode.file(config));
            if (check) {
                try (process) {
                    return DemoCheck.run(Addresses.parseSocketAddress(listen), backendCount, spec.commandLine().getOut()) ? 0 : 1;
                }
            }
            printHelp(spec.commandLine().getOut(), config, process);
            Signals.onTerminate(process, flags.shutdownGrace);
            process.awaitStopped();
        } finally {
            deleteRecursively(dir);
        }
        return 0;
    }

    private String config(DemoBackends backends) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("# Written by 'sluice demo'. Edit and save: Sluice reloads this file live.\n");
        yaml.append("services:\n");
        yaml.append("  - name: web\n");
        yaml.append("    listen: [\"").append(listen).append("\"]\n");
        // The demo shows a service's own series (sluice_service_*), which other services export only when asked.
        yaml.append("    metrics: true\n");
        yaml.append("    backends:\n");
        for (String address : backends.addresses()) {
            yaml.append("      - \"").append(address).append("\"\n");
        }
        return yaml.toString();
    }

    private void printHelp(PrintWriter out, Path config, ProxyProcess process) {
        String url = "http://" + listen + "/";
        out.println();
        out.println("Sluice demo: " + backendCount + " HTTP backends behind " + listen + ", round robin.");
        out.println();
        out.println("  Try it:    for i in 1 2 3 4 5 6; do curl -s " + url + "; done");
        if (process.healthAddress() != null) {
            out.println("  Health:    curl -s http://" + hostPort(process.healthAddress()) + "/healthz");
        }
        if (process.metricsAddress() != null) {
            out.println("  Metrics:   curl -s http://" + hostPort(process.metricsAddress()) + "/metrics | grep ^sluice_");
        }
        out.println("  Config:    " + config + " (edit it: changes apply live)");
        out.println();
        out.println("Ctrl-C stops everything.");
        out.flush();
    }

    private static String hostPort(InetSocketAddress address) {
        return Addresses.format(address);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
