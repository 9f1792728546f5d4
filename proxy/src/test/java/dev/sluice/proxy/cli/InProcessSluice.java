package dev.sluice.proxy.cli;

import dev.sluice.discovery.file.StaticConfig;
import dev.sluice.discovery.model.BackendTable;
import java.net.InetSocketAddress;
import picocli.CommandLine;

/**
 * The proxy that {@code sluice run ARGS...} starts, running in the test's JVM, for tests outside
 * this package (the process classes are package-private). Flags are parsed by picocli exactly as
 * on the command line; logging format and verbosity are left to the test.
 */
public final class InProcessSluice implements AutoCloseable {
    private final ProxyProcess process;

    private InProcessSluice(ProxyProcess process) {
        this.process = process;
    }

    /** Starts the proxy and returns once it serves its first table (or throws what {@code run} would report). */
    public static InProcessSluice run(String... args) throws Exception {
        ProxyFlags flags = new ProxyFlags();
        new CommandLine(flags).parseArgs(args);
        boolean hasServices = flags.config != null && !StaticConfig.load(flags.config).services().isEmpty();
        return new InProcessSluice(ProxyProcess.start(flags, Flags.serveMode(flags, hasServices)));
    }

    /** The table being served. */
    public BackendTable table() {
        return process.table();
    }

    /** Where /healthz and /livez answer, or null when disabled. */
    public InetSocketAddress healthAddress() {
        return process.healthAddress();
    }

    /** Where /metrics answers, or null when disabled. */
    public InetSocketAddress metricsAddress() {
        return process.metricsAddress();
    }

    @Override
    public void close() {
        process.close();
    }
}
